// SPDX-License-Identifier: MIT
// Peer: ITK's ResampleImageFilter with a linear interpolator, the way ITK
// users resample: whole image in memory, output origin = input origin,
// direction kept, size = round(n * s / t), written with compression.
//
//   itk_resample IN OUT SX SY SZ
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkResampleImageFilter.h>

#include <cmath>
#include <cstdlib>
#include <iostream>

template <class Pixel>
int run(const char* in, const char* out, const double target[3]) {
  using Image = itk::Image<Pixel, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(in);
  reader->Update();
  typename Image::Pointer image = reader->GetOutput();
  auto filter = itk::ResampleImageFilter<Image, Image>::New();
  filter->SetInput(image);
  filter->SetInterpolator(itk::LinearInterpolateImageFunction<Image, double>::New());
  typename Image::SpacingType spacing;
  typename Image::SizeType size;
  const auto in_size = image->GetLargestPossibleRegion().GetSize();
  for (unsigned k = 0; k < 3; ++k) {
    spacing[k] = target[k];
    size[k] = static_cast<itk::SizeValueType>(std::lround(in_size[k] * image->GetSpacing()[k] / target[k]));
  }
  filter->SetOutputSpacing(spacing);
  filter->SetSize(size);
  filter->SetOutputOrigin(image->GetOrigin());
  filter->SetOutputDirection(image->GetDirection());
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetFileName(out);
  writer->SetInput(filter->GetOutput());
  writer->UseCompressionOn();
  writer->Update();
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: itk_resample IN OUT SX SY SZ\n";
    return 2;
  }
  const double target[3] = {std::atof(argv[3]), std::atof(argv[4]), std::atof(argv[5])};
  auto io = itk::ImageIOFactory::CreateImageIO(argv[1], itk::CommonEnums::IOFileMode::ReadMode);
  io->SetFileName(argv[1]);
  io->ReadImageInformation();
  if (io->GetComponentType() == itk::IOComponentEnum::SHORT) return run<short>(argv[1], argv[2], target);
  return run<float>(argv[1], argv[2], target);
}
