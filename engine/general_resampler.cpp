// SPDX-License-Identifier: MIT
#include "engine/general_resampler.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "engine/coefficient_file.hpp"
#include "engine/coefficient_ring.hpp"
#include "engine/general_sampler.hpp"
#include "engine/pipeline.hpp"

namespace respace {
namespace {

template <class W>
class General final : public Resampler {
public:
  General(const GeneralSetup& s, const GeneralMemory& plan, std::shared_ptr<const SeparableTables> coef)
      : s_(s), plan_(plan), coef_(std::move(coef)), sampler_(s_, plan_) {
    const std::size_t plane_bytes = static_cast<std::size_t>(sampler_.plane_values()) * sizeof(W);
    if (plan_.ring) {
      ring_plan_ = ring_for(s_, plan_.block);
      ring_ = std::make_unique<CoefficientRing>(plane_bytes, ring_plan_, [this](std::int64_t b) { sample_from_ring(b); });
    } else {
      file_.emplace(s_.temp_dir, sampler_.volume_bytes());
    }
  }

  void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& /*hooks*/) override {
    if (plan_.ring)
      run_with_ring(in, out);
    else
      run_with_file(in, out);
  }

  RunStats stats() const override {
    RunStats st = stats_;
    st.output = sampler_.output_stats();
    return st;
  }

private:
  // Stage 1 of one volume into `store`. Its pipeline lives for this call
  // only: on the file path, stage 2 runs without its buffers.
  void coefficient_pass(ByteSource& in, PlaneSink& store) {
    std::unique_ptr<PlanePass> pass = make_pipeline(coefficient_setup(s_), plan_.coefficients, *coef_);
    pass->run_planes(in, store);
    const RunStats st = pass->stats();
    stats_.input.merge(st.input);
    stats_.planes_read += st.planes_read;
    stats_.pools.peak_live_tokens = std::max(stats_.pools.peak_live_tokens, st.pools.peak_live_tokens);
    stats_.pools.peak_raw = std::max(stats_.pools.peak_raw, st.pools.peak_raw);
    stats_.pools.peak_mid = std::max(stats_.pools.peak_mid, st.pools.peak_mid);
    stats_.pools.peak_out = std::max(stats_.pools.peak_out, st.pools.peak_out);
    stats_.pools.overflows += st.pools.overflows;
  }

  // Both stages at once: stage 1 hands planes to the ring, which hands each
  // block of output to stage 2 (sample_from_ring) once its planes are in.
  void run_with_ring(ByteSource& in, ByteSink& out) {
    sampler_.begin(out);
    ring_->reset();
    coefficient_pass(in, *ring_);  // stage 1, driving stage 2
    ring_->finish();                // the blocks that read no plane
    sampler_.end();
  }

  void sample_from_ring(std::int64_t b) {
    const std::int64_t k0 = b * plan_.block, k1 = std::min(sampler_.planes_out(), k0 + plan_.block);
    struct RingPlanes {
      const CoefficientRing* ring;
      const W* at(std::int64_t z) const { return reinterpret_cast<const W*>(ring->plane(z)); }
    };
    sampler_.run_block(k0, k1, RingPlanes{ring_.get()}, [&](const ZSpan& z) {
      if (z.hi >= z.lo && !ring_->holds(z.lo, z.hi))
        throw std::logic_error("general path: a tile read coefficient planes the ring does not hold");
    });
  }

  // One stage after the other: stage 1 fills the file, stage 2 maps it.
  void run_with_file(ByteSource& in, ByteSink& out) {
    file_->reset();
    coefficient_pass(in, *file_);  // stage 1
    const std::unique_ptr<Mapping> map = file_->finish();
    sampler_.begin(out);  // only now: the output block is not held during stage 1
    const ContiguousPlanes<W> src{static_cast<const W*>(map->data()), sampler_.plane_values()};
    const std::uint64_t plane_bytes = static_cast<std::uint64_t>(sampler_.plane_values()) * sizeof(W);
    for (std::int64_t k0 = 0; k0 < sampler_.planes_out(); k0 += plan_.block)  // stage 2
      sampler_.run_block(k0, std::min(sampler_.planes_out(), k0 + plan_.block), src, [&](const ZSpan& z) {
        if (z.hi >= z.lo)
          map->release(static_cast<std::uint64_t>(z.lo) * plane_bytes, static_cast<std::uint64_t>(z.hi + 1) * plane_bytes);
      });
    sampler_.end();
    stats_.temp_file = TempFileStats{file_->path(), file_->volume_bytes(), file_->removed()};
  }

  GeneralSetup s_;
  GeneralMemory plan_;
  std::shared_ptr<const SeparableTables> coef_;  // stage 1's tables
  GeneralSampler<W> sampler_;             // stage 2
  RingPlan ring_plan_;                    // the ring path only
  std::unique_ptr<CoefficientRing> ring_; // the ring path only
  std::optional<CoefficientFile> file_;   // the file path only
  RunStats stats_;
};

}  // namespace

std::unique_ptr<Resampler> make_general_resampler(const GeneralSetup& s, const GeneralMemory& plan,
                                                  std::shared_ptr<const SeparableTables> coef) {
  if (work_bytes(s.base) == 8) return std::make_unique<General<double>>(s, plan, coef);
  return std::make_unique<General<float>>(s, plan, coef);
}

}  // namespace respace
