// A preloaded shim that makes the Nth write to a regular file fail, so that tests can check that
// every csfpk writer survives a full disk, an I/O error or a short write at any point:
//
//   LD_PRELOAD=libcsfpk_fault_inject.so CSFPK_FAULT_AT=N CSFPK_FAULT=enospc|eio|short csfpk ...
//   LD_PRELOAD=... CSFPK_FAULT_COUNT_FILE=PATH csfpk ...   (counts the writes, injects nothing)
//
// Counted: write, pwrite, pwritev, writev, copy_file_range and sendfile on regular files (the
// terminal, pipes and sockets are left alone), plus fsync/fdatasync, which fail with EIO when
// they are the Nth call. `enospc` keeps failing every later write, as a full disk does; `eio`
// fails the one call; `short` writes half the bytes of the Nth call and reports that, which a
// correct writer must notice and continue.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {
long g_count = 0;
long g_fault_at = -1;
int g_mode = 0;  // 0: count only, 1: enospc, 2: eio, 3: short
int g_disk_full = 0;
const char* g_count_file = nullptr;

__attribute__((constructor)) void fault_setup(void) {
  const char* at = getenv("CSFPK_FAULT_AT");
  const char* mode = getenv("CSFPK_FAULT");
  g_count_file = getenv("CSFPK_FAULT_COUNT_FILE");
  if (at != nullptr) g_fault_at = strtol(at, nullptr, 10);
  if (mode == nullptr || strcmp(mode, "enospc") == 0)
    g_mode = 1;
  else if (strcmp(mode, "eio") == 0)
    g_mode = 2;
  else if (strcmp(mode, "short") == 0)
    g_mode = 3;
  if (g_fault_at < 0) g_mode = 0;
}

__attribute__((destructor)) void fault_report(void) {
  if (g_count_file == nullptr) return;
  auto real_write =
      reinterpret_cast<ssize_t (*)(int, const void*, size_t)>(dlsym(RTLD_NEXT, "write"));
  const int fd = open(g_count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  char text[32];
  const int n = snprintf(text, sizeof text, "%ld\n", g_count);
  if (n > 0) (void)real_write(fd, text, static_cast<size_t>(n));
  close(fd);
}

int is_regular(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

// What the Nth counted call does: 0 go on, -1 fail with errno set, 1 write short.
int decide(int fd, int syncing) {
  if (!is_regular(fd)) return 0;
  ++g_count;
  if (g_disk_full && !syncing) {
    errno = ENOSPC;
    return -1;
  }
  if (g_mode == 0 || g_count != g_fault_at) return 0;
  if (syncing) {
    errno = EIO;
    return -1;
  }
  switch (g_mode) {
    case 1:
      g_disk_full = 1;
      errno = ENOSPC;
      return -1;
    case 2:
      errno = EIO;
      return -1;
    default:
      return 1;
  }
}

// The libc function this shim stands in front of.
template <typename Function>
Function next(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

size_t shortened(size_t count) {
  return count > 1 ? count / 2 : count;
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buffer, size_t count) {
  static const auto real = next<decltype(&::write)>("write");
  const int what = decide(fd, 0);
  if (what < 0) return -1;
  return real(fd, buffer, what == 1 ? shortened(count) : count);
}

ssize_t pwrite(int fd, const void* buffer, size_t count, off_t offset) {
  static const auto real = next<decltype(&::pwrite)>("pwrite");
  const int what = decide(fd, 0);
  if (what < 0) return -1;
  return real(fd, buffer, what == 1 ? shortened(count) : count, offset);
}

ssize_t pwrite64(int fd, const void* buffer, size_t count, off_t offset) {
  static const auto real = next<decltype(&::pwrite64)>("pwrite64");
  const int what = decide(fd, 0);
  if (what < 0) return -1;
  return real(fd, buffer, what == 1 ? shortened(count) : count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  static const auto real = next<decltype(&::writev)>("writev");
  const int what = decide(fd, 0);
  if (what < 0) return -1;
  // Short: only the first buffer, cut in half.
  if (what == 1 && iovcnt > 0) {
    static const auto single = next<decltype(&::write)>("write");
    return single(fd, iov[0].iov_base, shortened(iov[0].iov_len));
  }
  return real(fd, iov, iovcnt);
}

ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset) {
  static const auto real = next<decltype(&::pwritev)>("pwritev");
  const int what = decide(fd, 0);
  if (what < 0) return -1;
  if (what == 1 && iovcnt > 0) {
    static const auto single = next<decltype(&::pwrite)>("pwrite");
    return single(fd, iov[0].iov_base, shortened(iov[0].iov_len), offset);
  }
  return real(fd, iov, iovcnt, offset);
}

ssize_t copy_file_range(int in, off_t* in_offset, int out, off_t* out_offset, size_t count,
                        unsigned flags) {
  static const auto real = next<decltype(&::copy_file_range)>("copy_file_range");
  const int what = decide(out, 0);
  if (what < 0) return -1;
  return real(in, in_offset, out, out_offset, what == 1 ? shortened(count) : count, flags);
}

ssize_t sendfile(int out, int in, off_t* offset, size_t count) {
  static const auto real = next<decltype(&::sendfile)>("sendfile");
  const int what = decide(out, 0);
  if (what < 0) return -1;
  return real(out, in, offset, what == 1 ? shortened(count) : count);
}

ssize_t sendfile64(int out, int in, off_t* offset, size_t count) {
  static const auto real = next<decltype(&::sendfile64)>("sendfile64");
  const int what = decide(out, 0);
  if (what < 0) return -1;
  return real(out, in, offset, what == 1 ? shortened(count) : count);
}

int fsync(int fd) {
  static const auto real = next<decltype(&::fsync)>("fsync");
  if (decide(fd, 1) < 0) return -1;
  return real(fd);
}

int fdatasync(int fd) {
  static const auto real = next<decltype(&::fdatasync)>("fdatasync");
  if (decide(fd, 1) < 0) return -1;
  return real(fd);
}

}  // extern "C"
