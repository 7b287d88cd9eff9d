#include "csfpk/core/table.hpp"

#include <algorithm>
#include <stdexcept>

namespace csfpk {

LinearTable::LinearTable(std::vector<double> xs, std::vector<double> ys)
    : xs_(std::move(xs)), ys_(std::move(ys)) {
  if (xs_.empty() || xs_.size() != ys_.size()) {
    throw std::invalid_argument("a table needs as many values as positions, at least one");
  }
  for (std::size_t i = 1; i < xs_.size(); ++i) {
    if (!(xs_[i] > xs_[i - 1])) throw std::invalid_argument("table positions must increase");
  }
}

double LinearTable::operator()(double x) const {
  if (x <= xs_.front()) return ys_.front();
  if (x >= xs_.back()) return ys_.back();
  const auto hi = static_cast<std::size_t>(std::upper_bound(xs_.begin(), xs_.end(), x) - xs_.begin());
  const std::size_t lo = hi - 1;
  const double w = (x - xs_[lo]) / (xs_[hi] - xs_[lo]);
  return ys_[lo] + w * (ys_[hi] - ys_[lo]);
}

}  // namespace csfpk
