#pragma once
// Structure-aware damage for the HDF5 reader targets. The fuzzer's bytes become edits applied,
// through the HDF5 API, to a copy of a file csfpk wrote (fuzz/bases/): datasets deleted,
// swapped, or replaced by others of another type and shape; values overwritten with NaN, ±inf,
// negatives and extremes; attributes removed or retyped. Every file the readers then see is
// well-formed HDF5 whose csfpk content is wrong — the damage csfpk itself must handle. Flipping
// raw bytes (the *_bytes targets) mostly exercises the HDF5 library's own decoders instead.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "io/h5_file.hpp"

namespace csfpk::fuzz {

inline std::vector<std::string> dataset_names(hid_t group) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names);
  return names;
}

inline std::vector<std::string> attribute_names(hid_t object) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names);
  return names;
}

template <typename T>
const T& pick(FuzzedDataProvider& in, const std::vector<T>& from) {
  return from[in.ConsumeIntegralInRange<std::size_t>(0, from.size() - 1)];
}

// Mostly the values that break arithmetic, sometimes any double.
inline double hostile_double(FuzzedDataProvider& in) {
  static const std::array<double, 10> kPalette{0.0,
                                               -1.0,
                                               1.0,
                                               std::numeric_limits<double>::quiet_NaN(),
                                               std::numeric_limits<double>::infinity(),
                                               -std::numeric_limits<double>::infinity(),
                                               1e308,
                                               -1e-300,
                                               9007199254740993.0,
                                               1e19};
  if (in.ConsumeBool()) return in.ConsumeFloatingPoint<double>();
  return kPalette[in.ConsumeIntegralInRange<std::size_t>(0, kPalette.size() - 1)];
}

enum class Kind { kFloat64, kInt64, kInt8, kFixedString, kVariableString };

inline h5::Datatype make_type(Kind kind, std::size_t width) {
  switch (kind) {
    case Kind::kFloat64:
      return h5::Datatype(H5Tcopy(H5T_IEEE_F64LE));
    case Kind::kInt64:
      return h5::Datatype(H5Tcopy(H5T_STD_I64LE));
    case Kind::kInt8:
      return h5::Datatype(H5Tcopy(H5T_STD_I8LE));
    case Kind::kFixedString:
      return h5::utf8_string(width);
    case Kind::kVariableString: {
      h5::Datatype type(H5Tcopy(H5T_C_S1));
      H5Tset_size(type.get(), H5T_VARIABLE);
      return type;
    }
  }
  return h5::Datatype();
}

// Writes `count` fuzzed elements of `kind` to a dataset or attribute through `write`.
template <typename Write>
void write_fuzzed(FuzzedDataProvider& in, Kind kind, hid_t type, std::size_t count, Write write) {
  if (count == 0) return;
  if (kind == Kind::kFixedString || kind == Kind::kVariableString) {
    std::vector<std::string> text(count);
    for (auto& t : text) t = in.ConsumeRandomLengthString(24);
    if (kind == Kind::kVariableString) {
      std::vector<const char*> pointers;
      for (const auto& t : text) pointers.push_back(t.c_str());
      write(type, pointers.data());
    } else {
      const std::size_t width = H5Tget_size(type);
      std::vector<char> packed(width * count, '\0');
      for (std::size_t i = 0; i < count; ++i) text[i].copy(packed.data() + i * width, width);
      write(type, packed.data());
    }
    return;
  }
  std::vector<double> values(count);
  for (auto& v : values) v = hostile_double(in);
  write(H5T_NATIVE_DOUBLE, values.data());  // HDF5 converts (and clips) into integer types
}

// A new dataset `name` of fuzzed type and shape (rank 0–3, extents 0–6, so that mismatches with
// the run count or the coordinates are likely), filled with fuzzed values.
inline void create_fuzzed_dataset(FuzzedDataProvider& in, hid_t root, const std::string& name) {
  const auto kind = static_cast<Kind>(in.ConsumeIntegralInRange<int>(0, 4));
  const h5::Datatype type = make_type(kind, in.ConsumeIntegralInRange<std::size_t>(1, 16));
  std::vector<hsize_t> dims(in.ConsumeIntegralInRange<std::size_t>(0, 3));
  std::size_t count = 1;
  for (auto& d : dims) {
    d = in.ConsumeIntegralInRange<hsize_t>(0, 6);
    count *= static_cast<std::size_t>(d);
  }
  const h5::Dataspace space(
      dims.empty() ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  const h5::Dataset dataset(H5Dcreate2(root, name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset) return;
  write_fuzzed(in, kind, type.get(), count, [&](hid_t memory_type, const void* buffer) {
    H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  });
}

inline void replace_attribute(FuzzedDataProvider& in, hid_t object, const std::string& name) {
  H5Adelete(object, name.c_str());
  const auto kind = static_cast<Kind>(in.ConsumeIntegralInRange<int>(0, 4));
  const h5::Datatype type = make_type(kind, in.ConsumeIntegralInRange<std::size_t>(1, 40));
  const hsize_t n = in.ConsumeIntegralInRange<hsize_t>(0, 3);
  const h5::Dataspace space(in.ConsumeBool() ? H5Screate(H5S_SCALAR)
                                             : H5Screate_simple(1, &n, nullptr));
  const h5::Attribute attribute(
      H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute) return;
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  write_fuzzed(in, kind, type.get(), static_cast<std::size_t>(count),
               [&](hid_t memory_type, const void* buffer) {
                 H5Awrite(attribute.get(), memory_type, buffer);
               });
}

// Copies `base` to `path` and applies up to eight edits decoded from `in`.
inline void damage_copy(const std::string& base, const std::string& path, FuzzedDataProvider& in) {
  std::filesystem::copy_file(base, path, std::filesystem::copy_options::overwrite_existing);
  h5::silence_error_printing();
  const h5::File file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  if (!file) return;
  const hid_t root = file.get();
  const int edits = in.ConsumeIntegralInRange<int>(1, 8);
  for (int e = 0; e < edits && in.remaining_bytes() > 0; ++e) {
    const std::vector<std::string> datasets = dataset_names(root);
    if (datasets.empty()) break;
    const std::string& target = pick(in, datasets);
    switch (in.ConsumeIntegralInRange<int>(0, 5)) {
      case 0:  // gone
        H5Ldelete(root, target.c_str(), H5P_DEFAULT);
        break;
      case 1:  // another type and shape under the same name
        H5Ldelete(root, target.c_str(), H5P_DEFAULT);
        create_fuzzed_dataset(in, root, target);
        break;
      case 2: {  // same type and shape, hostile values
        const h5::Dataset dataset(H5Dopen2(root, target.c_str(), H5P_DEFAULT));
        const h5::Datatype type(H5Dget_type(dataset.get()));
        const h5::Dataspace space(H5Dget_space(dataset.get()));
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        if (count <= 0 || count > 100000) break;
        const bool text = H5Tget_class(type.get()) == H5T_STRING;
        const Kind kind = !text                            ? Kind::kFloat64
                          : H5Tis_variable_str(type.get()) ? Kind::kVariableString
                                                           : Kind::kFixedString;
        write_fuzzed(in, kind, type.get(), static_cast<std::size_t>(count),
                     [&](hid_t memory_type, const void* buffer) {
                       H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
                     });
        break;
      }
      case 3: {  // two variables trade places
        const std::string& other = pick(in, datasets);
        if (other == target) break;
        H5Lmove(root, target.c_str(), root, "__swap", H5P_DEFAULT, H5P_DEFAULT);
        H5Lmove(root, other.c_str(), root, target.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        H5Lmove(root, "__swap", root, other.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        break;
      }
      case 4: {  // a root attribute removed or retyped
        const std::vector<std::string> attributes = attribute_names(root);
        if (attributes.empty()) break;
        const std::string& name = pick(in, attributes);
        if (in.ConsumeBool()) {
          H5Adelete(root, name.c_str());
        } else {
          replace_attribute(in, root, name);
        }
        break;
      }
      case 5: {  // an attribute of a variable (units, long_name, _Encoding, …) retyped
        const h5::Dataset dataset(H5Dopen2(root, target.c_str(), H5P_DEFAULT));
        const std::vector<std::string> attributes = attribute_names(dataset.get());
        if (attributes.empty()) break;
        const std::string& name = pick(in, attributes);
        if (name == "DIMENSION_LIST" || name == "REFERENCE_LIST") break;  // HDF5-managed
        replace_attribute(in, dataset.get(), name);
        break;
      }
    }
  }
}

}  // namespace csfpk::fuzz
