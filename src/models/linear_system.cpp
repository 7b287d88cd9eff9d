#include "csfpk/models/linear_system.hpp"

#include "csfpk/core/errors.hpp"

namespace csfpk {

InputTarget LinearSystem::input(const Route& route) const {
  switch (route.kind) {
    case RouteKind::kCatheterTip:
      return catheter_input;
    case RouteKind::kPlasma:
      return {{plasma_state}, {1.0}};
    case RouteKind::kSite:
      if (const auto it = site_inputs.find(route.site); it != site_inputs.end()) return it->second;
      break;
  }
  throw InputError("injection site '" + route.site + "' is not a site of the model");
}

}  // namespace csfpk
