#include "csfpk/models/linear_system.hpp"

#include "csfpk/core/errors.hpp"

namespace csfpk {

int LinearSystem::input_state(const Route& route) const {
  switch (route.kind) {
    case RouteKind::kCatheterTip:
      return catheter_state;
    case RouteKind::kPlasma:
      return plasma_state;
    case RouteKind::kSite:
      for (std::size_t i = 0; i < site_names.size(); ++i) {
        if (site_names[i] == route.site) return site_states[i];
      }
      break;
  }
  throw InputError("injection site '" + route.site + "' is not a site of the model");
}

}  // namespace csfpk
