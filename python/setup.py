# SPDX-License-Identifier: MIT
"""pip install --no-build-isolation --no-index ./python

Builds respace._core with the repository's own CMake build (the C++ core,
pybind11 from Debian's pybind11-dev) in a scratch build folder and installs
it with the package's .py files. Offline: needs only the Debian packages
scripts/setup.sh installs (cmake, a compiler, setuptools, pybind11)."""
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build", "pip")  # build files go here (ignored), not beside the sources
os.makedirs(BUILD, exist_ok=True)


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        for line in f:
            if line.startswith("project(respace VERSION"):
                return line.split()[2]
    return "0"


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        os.makedirs(build, exist_ok=True)
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DRESPACE_TESTS=OFF",
                               "-DRESPACE_PYTHON=ON", f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build, "--target", "_core", "-j", str(os.cpu_count() or 2)])
        built = os.path.join(build, "python", "respace", os.path.basename(self.get_ext_filename(ext.name)))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(
    name="respace",
    version=version(),
    description="Resample huge NIfTI volumes in bounded memory",
    license="MIT",
    packages=["respace"],
    ext_modules=[Extension("respace._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
    options={"build": {"build_base": BUILD}, "egg_info": {"egg_base": BUILD}},
)
