#pragma once
// A profile given at nodes, linear in between and constant beyond the ends (the convention of
// the reference problems for A(x), D(x) and u(x)).
#include <vector>

namespace csfpk {

class LinearTable {
 public:
  LinearTable() = default;
  // Throws std::invalid_argument unless xs is strictly increasing and sizes match (≥ 1 node).
  LinearTable(std::vector<double> xs, std::vector<double> ys);
  static LinearTable constant(double value) { return LinearTable({0.0}, {value}); }

  double operator()(double x) const;
  const std::vector<double>& xs() const { return xs_; }
  const std::vector<double>& ys() const { return ys_; }
  bool empty() const { return xs_.empty(); }

 private:
  std::vector<double> xs_;
  std::vector<double> ys_;
};

}  // namespace csfpk
