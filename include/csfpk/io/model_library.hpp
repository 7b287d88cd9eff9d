#pragma once
// The models/ folder, read once: the drug library and every model, anatomy and physiology file
// a scenario names, parsed on first use and kept. Sweeps and the Python binding share one
// library across all their runs (and threads), so no run reads or parses a data file again.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "csfpk/core/table.hpp"
#include "csfpk/domain/anatomy.hpp"
#include "csfpk/domain/csf_physiology.hpp"
#include "csfpk/domain/device.hpp"
#include "csfpk/io/drug_library.hpp"
#include "csfpk/models/compartment_model.hpp"

namespace csfpk {

// An anatomy file with the transport defaults that come with it.
struct AnatomyFile {
  Anatomy anatomy;
  LinearTable dispersion_cm2_per_h;
  double dispersion_scale = 1.0;  // calibrated multiplier of the table (docs/qualification.md)
  double pool_volume_mL = 0.0;
};

class ModelLibrary {
 public:
  // Loads the drug library; InputError for a missing folder or a bad drug file.
  explicit ModelLibrary(std::string models_dir);

  const std::string& directory() const { return directory_; }
  const DrugLibrary& drugs() const { return drugs_; }
  // Parsed files by path (errors name the file, line and field, every time they are asked for).
  CompartmentModelSpec compartment_model(const std::string& path) const;
  AnatomyFile anatomy(const std::string& path) const;
  CsfPhysiology physiology(const std::string& path) const;
  DeviceProfile device(const std::string& path) const;
  // Every file read so far: the drug library and each model, anatomy, physiology and device
  // file parsed (for provenance digests).
  std::vector<std::string> files_read() const;

 private:
  template <typename T, typename Load>
  T cached(std::map<std::string, T>& cache, const std::string& path, Load load) const;

  std::string directory_;
  DrugLibrary drugs_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, CompartmentModelSpec> compartment_models_;
  mutable std::map<std::string, AnatomyFile> anatomies_;
  mutable std::map<std::string, CsfPhysiology> physiologies_;
  mutable std::map<std::string, DeviceProfile> devices_;
};

}  // namespace csfpk
