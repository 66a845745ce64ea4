#pragma once

// Compensated (Neumaier) summation: the total does not drift with the order values are added
// in (DESIGN §7), which lets block statistics, rollups and scans combine partial sums freely.
// Value type, single-threaded.

#include <cmath>

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
  double Total() const { return std::isfinite(sum_) ? sum_ + compensation_ : sum_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

}  // namespace strata
