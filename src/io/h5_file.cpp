#include "io/h5_file.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "csfpk/core/errors.hpp"

namespace csfpk::h5 {
namespace {

// The most specific description on HDF5's error stack ("unable to open file: ... No such file
// or directory"), or "" when the stack is empty. Must run before any other HDF5 call, because
// every API call clears the stack on entry.
std::string innermost_hdf5_message() {
  std::string message;
  auto keep_first = [](unsigned n, const H5E_error2_t* error, void* data) -> herr_t {
    // Walking upward starts at the innermost frame, where the library says what went wrong
    // rather than which API function failed.
    if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(data) = error->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_first, &message);
  // For failed system calls HDF5 lists name, errno, flags, ...; the strerror text is the part a
  // user can act on.
  constexpr std::string_view kMarker = "error message = '";
  if (const auto start = message.find(kMarker); start != std::string::npos) {
    const auto begin = start + kMarker.size();
    if (const auto end = message.find('\'', begin); end != std::string::npos) {
      return message.substr(begin, end - begin);
    }
  }
  return message;
}

std::string object_name(hid_t object) {
  const ssize_t length = H5Iget_name(object, nullptr, 0);
  if (length <= 0) return "?";
  std::string name(static_cast<std::size_t>(length) + 1, '\0');
  H5Iget_name(object, name.data(), name.size());
  name.resize(static_cast<std::size_t>(length));
  // Root-level variables are what users know by name ("concentration", not "/concentration").
  if (name.size() > 1 && name.front() == '/' && name.find('/', 1) == std::string::npos) {
    name.erase(0, 1);
  }
  return name;
}

std::size_t element_count(std::span<const hsize_t> dims) {
  return std::accumulate(dims.begin(), dims.end(), std::size_t{1},
                         [](std::size_t a, hsize_t b) { return a * static_cast<std::size_t>(b); });
}

// HDF5 1.10 allocates a buffer of a chunk's recorded size before reading it, so a damaged chunk
// index can make it ask for gigabytes; a chunk that does not lie inside the file is refused first.
void require_chunks_inside(hid_t dataset, const std::string& name, hsize_t file_bytes) {
  const PropertyList dcpl(check(H5Dget_create_plist(dataset), dataset, name, "inspect"));
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return;
  const Dataspace space(check(H5Dget_space(dataset), dataset, name, "get dataspace of"));
  hsize_t chunks = 0;
  check(H5Dget_num_chunks(dataset, space.get(), &chunks), dataset, name, "count the chunks of");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> offset(static_cast<std::size_t>(std::max(rank, 1)));
  for (hsize_t i = 0; i < chunks; ++i) {
    unsigned filter_mask = 0;
    haddr_t address = 0;
    hsize_t bytes = 0;
    check(H5Dget_chunk_info(dataset, space.get(), i, offset.data(), &filter_mask, &address, &bytes),
          dataset, name, "locate a chunk of");
    if (address == HADDR_UNDEF || bytes > file_bytes || address > file_bytes - bytes) {
      throw IoError(file_name(dataset) + ": dataset '" + name + "' has a chunk of " +
                    std::to_string(bytes) + " bytes outside the " + std::to_string(file_bytes) +
                    "-byte file; the file is damaged");
    }
  }
}

// Deflate cannot compress by more than about 1032:1, so a dataset that claims more bytes than
// that many times the file size was not written whole (csfpk writes every element): the file is
// damaged, and trusting its shape would mean allocating whatever it claims.
std::size_t readable_element_count(hid_t dataset, const std::string& name,
                                   std::size_t element_bytes) {
  constexpr double kMaxCompressionRatio = 1100.0;
  constexpr double kSlackBytes = 1 << 20;
  hsize_t file_bytes = 0;
  const File file(check(H5Iget_file_id(dataset), dataset, name, "find the file holding"));
  check(H5Fget_filesize(file.get(), &file_bytes), dataset, name, "get size of the file holding");
  double claimed = static_cast<double>(std::max<std::size_t>(element_bytes, 1));
  const std::vector<hsize_t> dims = shape(dataset);
  for (const hsize_t d : dims) claimed *= static_cast<double>(d);
  if (claimed > kMaxCompressionRatio * static_cast<double>(file_bytes) + kSlackBytes) {
    std::ostringstream message;
    message << file_name(dataset) << ": dataset '" << name << "' claims " << std::setprecision(3)
            << claimed / (1 << 20) << " MiB, more than a " << file_bytes
            << "-byte file can hold even compressed; the file is damaged";
    throw IoError(message.str());
  }
  require_chunks_inside(dataset, name, file_bytes);
  return element_count(dims);
}

// Fixed-length strings come padded with NULs or spaces depending on how they were written.
std::vector<std::string> split_fixed(const std::vector<char>& raw, std::size_t width,
                                     H5T_str_t padding) {
  std::vector<std::string> out;
  if (width == 0) return out;
  for (std::size_t offset = 0; offset + width <= raw.size(); offset += width) {
    std::string value(raw.data() + offset, width);
    if (padding == H5T_STR_SPACEPAD) {
      value.erase(value.find_last_not_of(' ') + 1);
    } else {
      value.resize(std::min(value.size(), value.find('\0')));
    }
    out.push_back(std::move(value));
  }
  return out;
}

// Shared by datasets and attributes, which differ only in how the bytes are read.
std::vector<std::string> read_string_values(
    hid_t object, const std::string& name, hid_t file_type, std::size_t count,
    const std::function<herr_t(hid_t memory_type, void* buffer)>& read) {
  if (H5Tget_class(file_type) != H5T_STRING) {
    throw IoError(file_name(object) + ": '" + name + "' does not hold strings");
  }
  const htri_t is_variable = check(H5Tis_variable_str(file_type), object, name, "inspect type of");
  if (is_variable > 0) {
    throw IoError(file_name(object) + ": '" + name +
                  "' holds variable-length strings, which csfpk does not read (its own files "
                  "store fixed-length strings); the file was written by another program or is "
                  "damaged");
  }
  Datatype memory_type(check(H5Tcopy(file_type), object, name, "copy type of"));
  const std::size_t width = H5Tget_size(file_type);
  std::vector<char> raw(width * count);
  if (count > 0) check(read(memory_type.get(), raw.data()), object, name, "read");
  return split_fixed(raw, width, H5Tget_strpad(file_type));
}

}  // namespace

namespace {
// HDF5 keeps a file whose close failed (a full disk) on its list of open files and tries to
// flush it again from its atexit handler, which then crashes (exit 139 after a correct "No
// space left on device" error). csfpk closes every file through RAII before exit, so it turns
// that handler off; this must happen before HDF5 initialises itself, hence a static
// initialiser of the file that every HDF5 user links.
const bool kNoExitCleanup = [] {
  H5dont_atexit();
  return true;
}();
}  // namespace

void silence_error_printing() {
  (void)kNoExitCleanup;
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

void throw_error(std::string_view file, std::string_view object, std::string_view action) {
  const std::string detail = innermost_hdf5_message();
  std::string message = std::string(file) + ": cannot " + std::string(action);
  if (!object.empty()) message += " '" + std::string(object) + "'";
  if (!detail.empty()) message += ": " + detail;
  throw IoError(message);
}

void throw_error(hid_t in_file, std::string_view object, std::string_view action) {
  // Capture the stack first: H5Fget_name (inside file_name) clears it.
  const std::string detail = innermost_hdf5_message();
  std::string message = file_name(in_file) + ": cannot " + std::string(action);
  if (!object.empty()) message += " '" + std::string(object) + "'";
  if (!detail.empty()) message += ": " + detail;
  throw IoError(message);
}

std::string file_name(hid_t in_file) {
  const ssize_t length = H5Fget_name(in_file, nullptr, 0);
  if (length <= 0) return "<HDF5 file>";
  std::string name(static_cast<std::size_t>(length) + 1, '\0');
  H5Fget_name(in_file, name.data(), name.size());
  name.resize(static_cast<std::size_t>(length));
  return name;
}

namespace {

// Creates (truncating) `name` with link and attribute creation order tracked, as netCDF-4 does;
// `access` chooses where it lives (H5P_DEFAULT: on disk).
File create_ordered_file(const std::string& name, hid_t access, unsigned flags = H5F_ACC_TRUNC) {
  silence_error_printing();
  PropertyList fcpl(check(H5Pcreate(H5P_FILE_CREATE), name, "", "create file properties for"));
  constexpr unsigned kOrder = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  check(H5Pset_link_creation_order(fcpl.get(), kOrder), name, "", "set link order for");
  check(H5Pset_attr_creation_order(fcpl.get(), kOrder), name, "", "set attribute order for");
  return File(check(H5Fcreate(name.c_str(), flags, fcpl.get(), access), name, "", "create file"));
}

}  // namespace

File create_file(const std::string& path) {
  return create_ordered_file(path, H5P_DEFAULT);
}

File create_new_file(const std::string& path) {
  // Without HDF5's sieve buffer and chunk cache every H5Dwrite reaches the file (and reports a
  // failed write) before it returns: a cached block is flushed when its dataset is closed, and a
  // failure there, in a handle's destructor, would go unseen and leave a damaged file behind a
  // successful close. csfpk writes each dataset whole, so the caches save nothing here.
  PropertyList fapl(check(H5Pcreate(H5P_FILE_ACCESS), path, "", "create access properties for"));
  check(H5Pset_sieve_buf_size(fapl.get(), 0), path, "", "set the sieve buffer of");
  check(H5Pset_cache(fapl.get(), 0, 0, 0, 0.75), path, "", "set the chunk cache of");
  return create_ordered_file(path, fapl.get(), H5F_ACC_EXCL);
}

File create_memory_file(const std::string& name) {
  silence_error_printing();
  PropertyList fapl(check(H5Pcreate(H5P_FILE_ACCESS), name, "", "create access properties for"));
  constexpr std::size_t kGrowBy = 1 << 20;
  check(H5Pset_fapl_core(fapl.get(), kGrowBy, /*backing_store=*/0), name, "", "keep in memory");
  return create_ordered_file(name, fapl.get());
}

std::vector<unsigned char> file_image(hid_t file) {
  check(H5Fflush(file, H5F_SCOPE_GLOBAL), file, "", "flush");
  const ssize_t size = check(H5Fget_file_image(file, nullptr, 0), file, "", "measure the image of");
  std::vector<unsigned char> image(static_cast<std::size_t>(size));
  check(H5Fget_file_image(file, image.data(), image.size()), file, "", "copy the image of");
  return image;
}

File open_file(const std::string& path) {
  silence_error_printing();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw IoError(path + ": cannot open: no such file");
  if (std::filesystem::is_directory(status)) {
    throw IoError(path + ": cannot open: is a directory");
  }
  // A FIFO or a device would block or never end.
  if (!std::filesystem::is_regular_file(status)) {
    throw IoError(path + ": cannot open: not a regular file");
  }
#if H5_VERSION_GE(1, 12, 0)
  const htri_t is_hdf5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
#endif
  if (is_hdf5 == 0) throw IoError(path + " is not an HDF5 file");
  check(is_hdf5, path, "", "open file");
  // Readers neither take nor respect HDF5's file lock, so that `sweep-info` can report on a
  // sweep that is still being written (its layout never changes once written; see
  // batch/sweep_file.hpp). Writers are kept apart by OutputClaim's lock instead.
  PropertyList fapl(check(H5Pcreate(H5P_FILE_ACCESS), path, "", "create access properties for"));
  check(H5Pset_file_locking(fapl.get(), 0, 1), path, "", "set file locking for");
  return File(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), path, "", "open file"));
}

void close_file(File& file, std::string_view path) {
  // With the default (weak) close degree HDF5 flushes here, so this is where a full disk or a
  // vanished directory shows up.
  check(file.close(), path, "", "flush and close file");
}

Datatype utf8_string(std::size_t width) {
  constexpr std::size_t kMinimumWidth = 2;
  Datatype type(check(H5Tcopy(H5T_C_S1), "", "", "create string type"));
  check(H5Tset_size(type.get(), std::max(width, kMinimumWidth)), "", "", "create string type");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "", "", "create string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "", "", "create string type");
  return type;
}

Dataspace simple_space(std::span<const hsize_t> dims, std::span<const hsize_t> maxdims) {
  const int rank = static_cast<int>(dims.size());
  return Dataspace(
      check(H5Screate_simple(rank, dims.data(), maxdims.empty() ? nullptr : maxdims.data()), "", "",
            "create dataspace"));
}

std::vector<hsize_t> shape(hid_t dataset) {
  const std::string name = object_name(dataset);
  Dataspace space(check(H5Dget_space(dataset), dataset, name, "get dataspace of"));
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), dataset, name, "get rank of");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), dataset, name,
        "get shape of");
  return dims;
}

Dataset create_dataset(hid_t parent, const std::string& name, hid_t type,
                       std::span<const hsize_t> dims, const Layout& layout) {
  const char* action = "create dataset";
  std::vector<hsize_t> maxdims(dims.begin(), dims.end());
  if (layout.first_dim_unlimited && !maxdims.empty()) maxdims.front() = H5S_UNLIMITED;
  Dataspace space = simple_space(dims, maxdims);

  PropertyList dcpl(check(H5Pcreate(H5P_DATASET_CREATE), parent, name, action));
  constexpr unsigned kOrder = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  check(H5Pset_attr_creation_order(dcpl.get(), kOrder), parent, name, action);
  // Without modification times in object headers, the same run writes byte-identical files.
  check(H5Pset_obj_track_times(dcpl.get(), false), parent, name, action);
  if (!layout.chunk.empty()) {
    check(H5Pset_chunk(dcpl.get(), static_cast<int>(layout.chunk.size()), layout.chunk.data()),
          parent, name, action);
    // Shuffle before deflate: grouping the bytes of doubles by significance is what makes
    // smooth concentration curves compress well.
    if (layout.shuffle) check(H5Pset_shuffle(dcpl.get()), parent, name, action);
    if (layout.deflate_level > 0) {
      check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(layout.deflate_level)), parent, name,
            action);
    }
  }
  return Dataset(check(
      H5Dcreate2(parent, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      parent, name, action));
}

Dataset open_dataset_if_exists(hid_t parent, const std::string& name) {
  const htri_t exists =
      check(H5Lexists(parent, name.c_str(), H5P_DEFAULT), parent, name, "look up");
  if (exists == 0) return Dataset();
    // Only hard links: following an external link would open another file (or block on a FIFO
    // behind it), and csfpk writes nothing else.
#if H5_VERSION_GE(1, 12, 0)
  H5L_info2_t link;
  check(H5Lget_info2(parent, name.c_str(), &link, H5P_DEFAULT), parent, name, "look up");
#else
  H5L_info_t link;
  check(H5Lget_info(parent, name.c_str(), &link, H5P_DEFAULT), parent, name, "look up");
#endif
  if (link.type != H5L_TYPE_HARD) {
    throw IoError(file_name(parent) + ": '" + name + "' is " +
                  (link.type == H5L_TYPE_EXTERNAL ? "an external link into another file"
                                                  : "a symbolic link") +
                  "; csfpk reads only data stored in the file itself");
  }
  H5O_info_t info;
#if H5_VERSION_GE(1, 12, 0)
  check(H5Oget_info_by_name3(parent, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT), parent,
        name, "look up");
#else
  check(H5Oget_info_by_name2(parent, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT), parent,
        name, "look up");
#endif
  if (info.type != H5O_TYPE_DATASET) return Dataset();
  return Dataset(check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), parent, name, "open"));
}

void write(hid_t dataset, std::span<const double> values) {
  if (values.empty()) return;  // zero-length dimensions: nothing to transfer
  // Named before the call: any HDF5 call after a failure would clear the error stack.
  const std::string name = object_name(dataset);
  check(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), dataset,
        name, "write");
}

void write(hid_t dataset, std::span<const std::int64_t> values) {
  if (values.empty()) return;
  const std::string name = object_name(dataset);
  check(H5Dwrite(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), dataset,
        name, "write");
}

Dataset create_string_dataset(hid_t parent, const std::string& name,
                              std::span<const std::string> values, const Layout& layout) {
  std::size_t width = 0;
  for (const std::string& value : values) width = std::max(width, value.size());
  Datatype type = utf8_string(width);
  const std::size_t stride = H5Tget_size(type.get());
  const std::array<hsize_t, 1> dims{static_cast<hsize_t>(values.size())};
  Dataset dataset = create_dataset(parent, name, type.get(), dims, layout);
  if (!values.empty()) {
    std::vector<char> packed(stride * values.size(), '\0');
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::copy(values[i].begin(), values[i].end(),
                packed.begin() + static_cast<std::ptrdiff_t>(i * stride));
    }
    check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, packed.data()), parent,
          name, "write");
  }
  set_attribute(dataset.get(), "_Encoding", std::string_view("utf-8"));
  return dataset;
}

std::vector<double> read_doubles(hid_t dataset) {
  const std::string name = object_name(dataset);
  Datatype file_type(check(H5Dget_type(dataset), dataset, name, "get type of"));
  const H5T_class_t type_class = H5Tget_class(file_type.get());
  if (type_class != H5T_FLOAT && type_class != H5T_INTEGER) {
    throw IoError(file_name(dataset) + ": dataset '" + name + "' is not numeric");
  }
  std::vector<double> values(readable_element_count(dataset, name, sizeof(double)));
  if (!values.empty()) {
    check(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          dataset, name, "read");
  }
  return values;
}

std::vector<std::string> read_strings(hid_t dataset) {
  const std::string name = object_name(dataset);
  Datatype file_type(check(H5Dget_type(dataset), dataset, name, "get type of"));
  const std::size_t count = readable_element_count(dataset, name, H5Tget_size(file_type.get()));
  return read_string_values(
      dataset, name, file_type.get(), count, [&](hid_t memory_type, void* buffer) {
        return H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
      });
}

void set_attribute(hid_t object, const std::string& name, std::string_view value) {
  const char* action = "write attribute";
  if (check(H5Aexists(object, name.c_str()), object, name, action) > 0) {
    check(H5Adelete(object, name.c_str()), object, name, action);
  }
  Datatype type = utf8_string(value.size());
  Dataspace space(check(H5Screate(H5S_SCALAR), object, name, action));
  Attribute attribute(
      check(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
            object, name, action));
  std::string padded(value);
  padded.resize(H5Tget_size(type.get()), '\0');
  check(H5Awrite(attribute.get(), type.get(), padded.data()), object, name, action);
}

void set_attribute(hid_t object, const std::string& name, std::int32_t value) {
  const char* action = "write attribute";
  if (check(H5Aexists(object, name.c_str()), object, name, action) > 0) {
    check(H5Adelete(object, name.c_str()), object, name, action);
  }
  Dataspace space(check(H5Screate(H5S_SCALAR), object, name, action));
  Attribute attribute(
      check(H5Acreate2(object, name.c_str(), H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            object, name, action));
  check(H5Awrite(attribute.get(), H5T_NATIVE_INT32, &value), object, name, action);
}

void set_attribute(hid_t object, const std::string& name, double value) {
  const char* action = "write attribute";
  if (check(H5Aexists(object, name.c_str()), object, name, action) > 0) {
    check(H5Adelete(object, name.c_str()), object, name, action);
  }
  Dataspace space(check(H5Screate(H5S_SCALAR), object, name, action));
  Attribute attribute(
      check(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            object, name, action));
  check(H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &value), object, name, action);
}

bool has_attribute(hid_t object, const std::string& name) {
  return check(H5Aexists(object, name.c_str()), object, name, "look up attribute") > 0;
}

std::string read_string_attribute(hid_t object, const std::string& name) {
  const char* action = "read attribute";
  Attribute attribute(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), object, name, action));
  Datatype file_type(check(H5Aget_type(attribute.get()), object, name, action));
  Dataspace space(check(H5Aget_space(attribute.get()), object, name, action));
  const hssize_t count = check(H5Sget_simple_extent_npoints(space.get()), object, name, action);
  // Checked before reading: a damaged file may declare any count and width.
  hsize_t file_bytes = 0;
  const File file(check(H5Iget_file_id(object), object, name, action));
  check(H5Fget_filesize(file.get(), &file_bytes), object, name, action);
  if (count != 1 || H5Tget_size(file_type.get()) > file_bytes) {
    throw IoError(file_name(object) + ": attribute '" + name + "' is not a single string");
  }
  return read_string_values(object, name, file_type.get(), 1,
                            [&](hid_t memory_type, void* buffer) {
                              return H5Aread(attribute.get(), memory_type, buffer);
                            })
      .front();
}

double read_double_attribute(hid_t object, const std::string& name) {
  const char* action = "read attribute";
  Attribute attribute(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), object, name, action));
  Datatype file_type(check(H5Aget_type(attribute.get()), object, name, action));
  const H5T_class_t type_class = H5Tget_class(file_type.get());
  Dataspace space(check(H5Aget_space(attribute.get()), object, name, action));
  const hssize_t count = check(H5Sget_simple_extent_npoints(space.get()), object, name, action);
  if ((type_class != H5T_FLOAT && type_class != H5T_INTEGER) || count != 1) {
    throw IoError(file_name(object) + ": attribute '" + name + "' is not a single number");
  }
  double value = 0.0;
  check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), object, name, action);
  return value;
}

void describe_cf_time(hid_t dataset, std::string_view long_name, std::string_view units_since,
                      bool coordinate) {
  set_attribute(dataset, "long_name", long_name);
  set_attribute(dataset, "units", units_since);
  set_attribute(dataset, "calendar", std::string_view("standard"));
  set_attribute(dataset, "standard_name", std::string_view("time"));
  if (coordinate) set_attribute(dataset, "axis", std::string_view("T"));
}

void make_dimension(hid_t dataset, const char* name, std::int32_t netcdf_dim_id) {
  check(H5DSset_scale(dataset, name), dataset, name, "make dimension scale");
  set_attribute(dataset, "_Netcdf4Dimid", netcdf_dim_id);
}

void attach_dimensions(hid_t dataset, std::string_view name, std::span<const hid_t> scales) {
  unsigned axis = 0;
  for (hid_t scale : scales) {
    check(H5DSattach_scale(dataset, scale, axis++), dataset, name, "attach dimensions to");
  }
}

void describe(hid_t dataset, std::string_view long_name, std::string_view units) {
  set_attribute(dataset, "long_name", long_name);
  if (!units.empty()) set_attribute(dataset, "units", units);
}

}  // namespace csfpk::h5
