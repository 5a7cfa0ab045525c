# SPDX-License-Identifier: MIT
"""The demo notebook (docs/respace_demo.ipynb) runs from start to end
(Debian python3-nbclient, with python3-ipykernel's kernel), so it cannot
rot. The kernel imports the same respace package as these tests."""
import os

import nbformat
import pytest
from nbclient import NotebookClient

import respace
from conftest import ROOT


def test_the_demo_notebook_runs(tmp_path):
    nb = nbformat.read(os.path.join(ROOT, "docs", "respace_demo.ipynb"), as_version=4)
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(respace.__file__)))
    os.environ["PYTHONPATH"] = package_dir + os.pathsep + os.environ.get("PYTHONPATH", "")
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum(1 for o in outputs if "image/png" in o.get("data", {})) >= 2, "the figures were drawn"
