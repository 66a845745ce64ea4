#pragma once

// Compensated (Neumaier) summation: the total does not drift with the order values are added
// in (DESIGN §7), which lets block statistics, rollups and scans combine partial sums freely.
// Value type, single-threaded.

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace strata {

class NeumaierSum {
 public:
  void Add(double v) {
    double t = sum_ + v;
    // Once the sum is infinite or NaN, the compensation would compute inf - inf = NaN; plain
    // IEEE addition already has the right answer there.
    if (std::isfinite(t)) {
      if (std::fabs(sum_) >= std::fabs(v)) {
        compensation_ += (sum_ - t) + v;
      } else {
        compensation_ += (v - t) + sum_;
      }
    }
    sum_ = t;
  }
  // Adds n doubles given as raw bits: four independent, branch-free Neumaier lanes (so the
  // additions overlap in the pipeline), each folded into this sum with its compensation at the
  // end. Same error bound as adding them one by one. If a lane is not finite (an infinity,
  // NaN, or an overflow the sequential order might not have had), the values are added one by
  // one instead, so the answer is exactly Add's.
  void AddBits(const uint64_t* bits, size_t n) {
    double sum[4] = {0, 0, 0, 0}, comp[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int l = 0; l < 4; ++l) {
        const double v = std::bit_cast<double>(bits[i + l]);
        const double t = sum[l] + v;
        comp[l] += std::fabs(sum[l]) >= std::fabs(v) ? (sum[l] - t) + v : (v - t) + sum[l];
        sum[l] = t;
      }
    }
    for (int l = 0; l < 4; ++l) {
      if (!std::isfinite(sum[l]) || !std::isfinite(comp[l])) {
        for (size_t j = 0; j < n; ++j) Add(std::bit_cast<double>(bits[j]));
        return;
      }
    }
    for (; i < n; ++i) Add(std::bit_cast<double>(bits[i]));
    for (int l = 0; l < 4; ++l) {
      Add(sum[l]);
      Add(comp[l]);
    }
  }

  double Total() const { return std::isfinite(sum_) ? sum_ + compensation_ : sum_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

}  // namespace strata
