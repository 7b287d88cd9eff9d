#pragma once
// An implantable pump model: what it holds, what it can be programmed to, how accurate it is
// and what an MRI scan does to it. From models/devices/<name>.yaml, each value with its source,
// in internal units (mL, mL/h).
#include <map>
#include <optional>
#include <string>

namespace csfpk {

enum class MriBehaviour {
  kStall,       // the motor stops in the field and resumes after the scan (SynchroMed II)
  kEmptyFirst,  // the reservoir must be emptied before the scan (Prometra)
};

struct DeviceProfile {
  std::string name;
  std::string description;
  double capacity_mL = 0.0;
  double low_alarm_mL = 0.0;
  std::optional<double> min_rate_mL_per_h;
  std::optional<double> max_rate_mL_per_h;
  std::optional<double> accuracy_fraction;  // nominal delivery accuracy, e.g. 0.145 for ±14.5 %
  std::optional<MriBehaviour> mri;
  // Volume of the implanted catheter per cm of its length, mL/cm: turns an implanted length into
  // the catheter's dead volume.
  std::optional<double> catheter_volume_mL_per_cm;
  std::map<std::string, std::string> sources;  // field → source
};

}  // namespace csfpk
