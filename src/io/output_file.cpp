#include "csfpk/io/output_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

#include "csfpk/core/errors.hpp"

namespace csfpk {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int error) {
  return std::strerror(error);
}

// Whether `a` and `b` name one file (both existing), or the same path once made absolute.
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec) && !ec;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

fs::path folder_of(const std::string& path) {
  std::error_code ec;
  return fs::absolute(path, ec).parent_path();
}

void sync_folder(const std::string& path) {
  const fs::path folder = folder_of(path);
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the rename is done; a folder that cannot be opened cannot be synced
  const int status = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  // Some file systems do not sync folders (EINVAL); that is not a failed write.
  if (status != 0 && error != EINVAL && error != EROFS) {
    throw IoError(folder.string() + ": cannot sync the folder after writing " + path + ": " +
                  errno_text(error));
  }
}

// Random enough that two processes (or two claims in one) never pick the same name; the O_EXCL
// creation is what guarantees it.
std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 random{std::random_device{}() ^
                                      (static_cast<std::uint64_t>(::getpid()) << 32)};
  char text[40];
  std::snprintf(text, sizeof text, "%d-%u-%06llx", static_cast<int>(::getpid()), counter++,
                static_cast<unsigned long long>(random() & 0xffffffULL));
  return text;
}

}  // namespace

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw IoError(path + ": cannot open to sync: " + errno_text(errno));
  const int status = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (status != 0) throw IoError(path + ": cannot sync to disk: " + errno_text(error));
}

OutputClaim OutputClaim::acquire(const OutputRequest& request) {
  const std::string& path = request.path;
  if (path.empty()) throw IoError("the " + request.what + " name is empty");
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (fs::is_directory(fs::status(path, ec))) {
    throw IoError(path + ": is a folder; give a file name");
  }
  const fs::path folder = folder_of(path);
  if (!fs::exists(folder, ec)) {
    throw IoError(path + ": cannot write: the folder " + folder.string() + " does not exist");
  }
  if (!fs::is_directory(folder, ec)) {
    throw IoError(path + ": cannot write: " + folder.string() + " is not a folder");
  }
  for (const OutputRequest::Input& input : request.inputs) {
    if (!input.path.empty() && same_file(path, input.path)) {
      throw IoError(path + ": is the " + input.what + " this command reads; choose another output");
    }
  }
  const bool exists = fs::exists(status) || fs::is_symlink(status);
  if (exists && !fs::is_regular_file(fs::status(path, ec))) {
    throw IoError(path + ": exists and is not a regular file; csfpk replaces only files");
  }
  if (exists && !request.overwrite) {
    throw IoError(path + ": the " + request.what + " exists; " + request.overwrite_hint);
  }

  OutputClaim claim;
  claim.path_ = path;
  claim.existed_ = exists;
  claim.lock_path_ = path + ".lock";
  // The lock file may be left by a killed process: it is reused, never truncated, and the lock
  // counts only if the name still refers to the file locked (a finishing writer unlinks it).
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd =
        ::open(claim.lock_path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int error = errno;
      if (error == ELOOP) {
        throw IoError(claim.lock_path_ + ": is a symbolic link; csfpk will not lock through it");
      }
      throw IoError(path + ": cannot write in " + folder.string() + ": " + errno_text(error));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) {
        throw IoError(path + ": another csfpk process is writing this file (" + claim.lock_path_ +
                      " is locked); wait for it or choose another output");
      }
      throw IoError(claim.lock_path_ + ": cannot lock: " + errno_text(error));
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) == 0 && ::lstat(claim.lock_path_.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      claim.lock_fd_ = fd;
      // Another writer may have finished between the check above and the lock: look again.
      const auto now = fs::symlink_status(path, ec);
      claim.existed_ = fs::exists(now) || fs::is_symlink(now);
      if (claim.existed_ && !request.overwrite) {
        throw IoError(path + ": the " + request.what + " exists; " + request.overwrite_hint);
      }
      return claim;
    }
    ::close(fd);  // unlinked by its previous holder between our open and our lock: try again
  }
  throw IoError(claim.lock_path_ + ": cannot take the lock (the file keeps being replaced)");
}

OutputClaim::OutputClaim(OutputClaim&& other) noexcept
    : path_(std::move(other.path_)),
      lock_path_(std::move(other.lock_path_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      existed_(other.existed_),
      temporaries_(std::move(other.temporaries_)) {
  other.temporaries_.clear();
}

OutputClaim& OutputClaim::operator=(OutputClaim&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    lock_path_ = std::move(other.lock_path_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    existed_ = other.existed_;
    temporaries_ = std::move(other.temporaries_);
    other.temporaries_.clear();
  }
  return *this;
}

OutputClaim::~OutputClaim() {
  release();
}

void OutputClaim::release() noexcept {
  for (const std::string& temporary : temporaries_) ::unlink(temporary.c_str());
  temporaries_.clear();
  if (lock_fd_ >= 0) {
    // Unlinked while still held: a process that opened it meanwhile sees the name gone and
    // retries with a fresh file.
    ::unlink(lock_path_.c_str());
    ::close(std::exchange(lock_fd_, -1));
  }
}

std::string OutputClaim::temporary_name() {
  std::string name = path_ + ".partial-" + unique_suffix();
  temporaries_.push_back(name);
  return name;
}

std::string OutputClaim::create_temporary() {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = temporary_name();
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
      return name;
    }
    const int error = errno;
    temporaries_.pop_back();
    if (error != EEXIST) {
      throw IoError(path_ + ": cannot create a temporary file beside it: " + errno_text(error));
    }
  }
  throw IoError(path_ + ": cannot find a free temporary name beside it");
}

void OutputClaim::commit(const std::string& temporary) {
  sync_file(temporary);
  if (::rename(temporary.c_str(), path_.c_str()) != 0) {
    throw IoError(path_ + ": cannot move the finished " + temporary +
                  " into place: " + errno_text(errno));
  }
  std::erase(temporaries_, temporary);
  sync_folder(path_);
}

std::string OutputClaim::keep_aside(const std::string& temporary, const std::string& name) {
  std::erase(temporaries_, temporary);
  // RENAME_NOREPLACE: an existing file (or a symlink planted there) is left alone.
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, name.c_str(), RENAME_NOREPLACE) == 0) {
    return name;
  }
  return temporary;
}

}  // namespace csfpk
