#include "csfpk/io/model_library.hpp"

#include "io/clinical_library.hpp"
#include "io/model_loader.hpp"

namespace csfpk {

ModelLibrary::ModelLibrary(std::string models_dir)
    : directory_(std::move(models_dir)), drugs_(DrugLibrary::load(directory_)) {}

template <typename T, typename Load>
T ModelLibrary::cached(std::map<std::string, T>& cache, const std::string& path, Load load) const {
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = cache.find(path); it != cache.end()) return it->second;
  }
  // Parsed outside the lock: a slow or failing file does not hold up other threads, and a file
  // that fails is not cached, so its error is raised again for the next scenario that names it.
  T value = load(path);
  const std::lock_guard lock(mutex_);
  return cache.emplace(path, std::move(value)).first->second;
}

CompartmentModelSpec ModelLibrary::compartment_model(const std::string& path) const {
  return cached(compartment_models_, path, load_compartment_model);
}

AnatomyFile ModelLibrary::anatomy(const std::string& path) const {
  return cached(anatomies_, path, load_anatomy);
}

CsfPhysiology ModelLibrary::physiology(const std::string& path) const {
  return cached(physiologies_, path, load_physiology);
}

std::vector<std::string> ModelLibrary::files_read() const {
  std::vector<std::string> files = drugs_.files();
  const std::lock_guard lock(mutex_);
  for (const auto& entry : compartment_models_) files.push_back(entry.first);
  for (const auto& entry : anatomies_) files.push_back(entry.first);
  for (const auto& entry : physiologies_) files.push_back(entry.first);
  for (const auto& entry : devices_) files.push_back(entry.first);
  return files;
}

DeviceProfile ModelLibrary::device(const std::string& path) const {
  return cached(devices_, path,
                [](const std::string& file) { return parse_device(YamlNode::load_file(file)); });
}

}  // namespace csfpk
