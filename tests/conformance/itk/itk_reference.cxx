// SPDX-License-Identifier: MIT
// The ITK reference for `--convention itk` (tests/conformance/check_itk.py):
// ITK 5's ResampleImageFilter as the ITK/SimpleITK recipe uses it. The whole
// image in memory; output origin = input origin, direction kept, the target
// spacing, default value 0, and the size given or, as the recipe computes
// it, round(n * s / t + 0.5). The interpolator by order: 0 nearest
// neighbour, 1 linear, 2 and 3 ITK's B-spline (mirror boundary). Integer
// output is ITK's: clamped to the type and truncated toward zero. With
// --real the output is float64 instead: ITK's value before that cast (to
// tell where the cast is decided by ITK's own rounding noise).
//
//   itk_reference IN OUT ORDER SX SY SZ [NX NY NZ] [--real]
#include <itkBSplineInterpolateImageFunction.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkNearestNeighborInterpolateImageFunction.h>
#include <itkResampleImageFilter.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

struct Request {
  int order = 1;
  double spacing[3] = {1, 1, 1};
  long size[3] = {0, 0, 0};  // 0: the recipe's
  bool real = false;         // float64 output
};

template <class Pixel, class OutPixel = Pixel>
int run(const char* in, const char* out, const Request& req) {
  using Image = itk::Image<Pixel, 3>;
  using OutImage = itk::Image<OutPixel, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(in);
  reader->Update();
  typename Image::Pointer image = reader->GetOutput();
  auto filter = itk::ResampleImageFilter<Image, OutImage>::New();
  filter->SetInput(image);
  if (req.order == 0) {
    filter->SetInterpolator(itk::NearestNeighborInterpolateImageFunction<Image, double>::New());
  } else if (req.order == 1) {
    filter->SetInterpolator(itk::LinearInterpolateImageFunction<Image, double>::New());
  } else {
    auto bspline = itk::BSplineInterpolateImageFunction<Image, double, double>::New();
    bspline->SetSplineOrder(static_cast<unsigned>(req.order));
    filter->SetInterpolator(bspline);
  }
  typename Image::SpacingType spacing;
  typename Image::SizeType size;
  const auto in_size = image->GetLargestPossibleRegion().GetSize();
  for (unsigned k = 0; k < 3; ++k) {
    spacing[k] = req.spacing[k];
    const double x = static_cast<double>(in_size[k]) * image->GetSpacing()[k] / req.spacing[k];
    size[k] = req.size[k] > 0 ? static_cast<itk::SizeValueType>(req.size[k])
                              : static_cast<itk::SizeValueType>(std::round(x + 0.5));
  }
  filter->SetOutputSpacing(spacing);
  filter->SetSize(size);
  filter->SetOutputOrigin(image->GetOrigin());
  filter->SetOutputDirection(image->GetDirection());
  filter->SetDefaultPixelValue(0);
  auto writer = itk::ImageFileWriter<OutImage>::New();
  writer->SetFileName(out);
  writer->SetInput(filter->GetOutput());
  writer->Update();
  std::cout << size[0] << " " << size[1] << " " << size[2] << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Request req;
  if (argc > 1 && std::string(argv[argc - 1]) == "--real") {
    req.real = true;
    --argc;
  }
  if (argc != 7 && argc != 10) {
    std::cerr << "usage: itk_reference IN OUT ORDER SX SY SZ [NX NY NZ] [--real]\n";
    return 2;
  }
  req.order = std::atoi(argv[3]);
  for (int k = 0; k < 3; ++k) req.spacing[k] = std::atof(argv[4 + k]);
  if (argc == 10)
    for (int k = 0; k < 3; ++k) req.size[k] = std::atol(argv[7 + k]);
  try {
    auto io = itk::ImageIOFactory::CreateImageIO(argv[1], itk::CommonEnums::IOFileMode::ReadMode);
    if (!io) {
      std::cerr << argv[1] << ": ITK cannot read it\n";
      return 1;
    }
    io->SetFileName(argv[1]);
    io->ReadImageInformation();
    switch (io->GetComponentType()) {
      case itk::IOComponentEnum::SHORT:
        return req.real ? run<short, double>(argv[1], argv[2], req) : run<short>(argv[1], argv[2], req);
      case itk::IOComponentEnum::UCHAR:
        return req.real ? run<unsigned char, double>(argv[1], argv[2], req) : run<unsigned char>(argv[1], argv[2], req);
      case itk::IOComponentEnum::FLOAT:
        return req.real ? run<float, double>(argv[1], argv[2], req) : run<float>(argv[1], argv[2], req);
      default: std::cerr << argv[1] << ": give int16, uint8 or float32\n"; return 1;
    }
  } catch (const itk::ExceptionObject& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
