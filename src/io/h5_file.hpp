#pragma once
// Thin RAII layer over the HDF5 C API, shared by the result writer, reader and tests.
//
// Every hid_t lives in a move-only handle that closes it with the matching H5*close, so an
// exception thrown half-way through writing a file leaks nothing and leaves HDF5 able to close
// the file. Every HDF5 return code goes through check(), which turns a failure into an IoError
// naming the file and the object; HDF5's own error-stack printing is switched off so that users
// see that one message instead of a page of library internals.
#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace csfpk::h5 {

template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  // A destructor cannot report a failed close; code that must know (closing a file flushes it)
  // calls close() explicitly first.
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

  // Closes now and returns the H5*close status (negative on failure); idempotent.
  herr_t close() {
    if (id_ < 0) return 0;
    return Close(std::exchange(id_, H5I_INVALID_HID));
  }

 private:
  void reset() noexcept {
    if (id_ >= 0) Close(std::exchange(id_, H5I_INVALID_HID));
  }

  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Datatype = Handle<H5Tclose>;
using PropertyList = Handle<H5Pclose>;
using Attribute = Handle<H5Aclose>;

// Switches off HDF5's automatic error printing for the process; idempotent. Called by
// create_file/open_file, so callers rarely need it.
void silence_error_printing();

// Throws IoError "<file>: cannot <action> '<object>': <innermost HDF5 message>".
[[noreturn]] void throw_error(std::string_view file, std::string_view object,
                              std::string_view action);
// Same, taking the file name from any open object of that file.
[[noreturn]] void throw_error(hid_t in_file, std::string_view object, std::string_view action);

// HDF5 signals failure with a negative hid_t, herr_t or htri_t; returns `status` otherwise.
template <typename Status>
Status check(Status status, std::string_view file, std::string_view object,
             std::string_view action) {
  if (status < 0) throw_error(file, object, action);
  return status;
}
template <typename Status>
Status check(Status status, hid_t in_file, std::string_view object, std::string_view action) {
  if (status < 0) throw_error(in_file, object, action);
  return status;
}

// The name the file was opened with, for messages.
std::string file_name(hid_t in_file);

// --- files --------------------------------------------------------------------------------

// Creates (truncating) a file that tracks link and attribute creation order, as netCDF-4 does,
// so netCDF-C based readers list variables in the order they were written.
File create_file(const std::string& path);
// The same, but fails when `path` exists (O_EXCL: never writes through a planted symlink); for
// temporaries handed out by an OutputClaim.
File create_new_file(const std::string& path);
// The same, held in memory only (HDF5's core driver without a backing store): `name` is what
// messages call it. file_image() then gives its bytes, a complete HDF5 file.
File create_memory_file(const std::string& name);
std::vector<unsigned char> file_image(hid_t file);
// Opens read-only. Throws IoError for a missing file or one that is not HDF5.
File open_file(const std::string& path);
// Closes and reports a failed flush (e.g. a full disk) as IoError.
void close_file(File& file, std::string_view path);

// --- types and spaces ---------------------------------------------------------------------

// Fixed-length, NUL-padded UTF-8 string of `width` bytes (at least 2: h5netcdf hands one-byte
// strings back as bytes). csfpk writes no variable-length strings: reading those goes through
// HDF5's global heap, where a damaged file can make HDF5 1.10 loop forever.
Datatype utf8_string(std::size_t width);
// `maxdims` empty means fixed size; pass H5S_UNLIMITED entries for extendible dimensions.
Dataspace simple_space(std::span<const hsize_t> dims, std::span<const hsize_t> maxdims = {});
// Current extent of a dataset (one entry per dimension).
std::vector<hsize_t> shape(hid_t dataset);

// --- datasets -----------------------------------------------------------------------------

struct Layout {
  std::vector<hsize_t> chunk;  // empty: contiguous
  int deflate_level = 0;       // 0: no compression
  bool shuffle = false;
  bool first_dim_unlimited = false;  // requires `chunk`
};

Dataset create_dataset(hid_t parent, const std::string& name, hid_t type,
                       std::span<const hsize_t> dims, const Layout& layout = {});
// Opens `name` under `parent`; returns an invalid handle when it does not exist.
Dataset open_dataset_if_exists(hid_t parent, const std::string& name);

// Whole-dataset writes; the caller guarantees the element count matches the dataspace.
void write(hid_t dataset, std::span<const double> values);
void write(hid_t dataset, std::span<const std::int64_t> values);
// A 1-D dataset of fixed-length UTF-8 strings as wide as the longest value, tagged
// `_Encoding = utf-8` so that xarray decodes it to str.
Dataset create_string_dataset(hid_t parent, const std::string& name,
                              std::span<const std::string> values, const Layout& layout = {});

// Whole-dataset reads, any rank, flattened in C (row-major) order.
std::vector<double> read_doubles(hid_t dataset);
// Reads a fixed-length string dataset. Variable-length strings are refused (IoError) without
// being read: csfpk never writes them, and decoding them is where HDF5 hangs on damaged files.
std::vector<std::string> read_strings(hid_t dataset);

// --- attributes ---------------------------------------------------------------------------

// Scalar fixed-length UTF-8 string attribute; replaces an existing one of the same name.
void set_attribute(hid_t object, const std::string& name, std::string_view value);
void set_attribute(hid_t object, const std::string& name, std::int32_t value);
// Scalar float64 attribute; replaces an existing one of the same name.
void set_attribute(hid_t object, const std::string& name, double value);
bool has_attribute(hid_t object, const std::string& name);
// Reads a scalar string attribute (variable- or fixed-length).
std::string read_string_attribute(hid_t object, const std::string& name);
// Reads a scalar numeric attribute as double.
double read_double_attribute(hid_t object, const std::string& name);

// --- netCDF-4 dimensions --------------------------------------------------------------------
// Makes `dataset` the dimension scale of the dimension `name`; _Netcdf4Dimid fixes the order
// netCDF-C reports dimensions in.
void make_dimension(hid_t dataset, const char* name, std::int32_t netcdf_dim_id);
// Attaches one dimension scale per axis of `dataset`, in order.
void attach_dimensions(hid_t dataset, std::string_view name, std::span<const hid_t> scales);
// long_name and (when not empty) units.
void describe(hid_t dataset, std::string_view long_name, std::string_view units);
// CF attributes of a time coordinate or variable in hours since the scenario start: units
// `units_since`, calendar, standard_name, long_name and, for the coordinate, axis T.
void describe_cf_time(hid_t dataset, std::string_view long_name, std::string_view units_since,
                      bool coordinate);

}  // namespace csfpk::h5
