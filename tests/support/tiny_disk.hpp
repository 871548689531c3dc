#pragma once

// A tmpfs of a few KiB mounted for one test, to make writes fail with ENOSPC
// for real. Needs root (CI runs as root); `mounted()` says whether it worked.

#include <string>
#include <sys/mount.h>
#include <unistd.h>

#include "temp_dir.hpp"

namespace chronos::test {

class tiny_disk {
public:
  explicit tiny_disk(const std::string& size = "64k") {
    if (::geteuid() == 0)
      mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~tiny_disk() {
    if (mounted_)
      ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  tiny_disk(const tiny_disk&) = delete;
  tiny_disk& operator=(const tiny_disk&) = delete;

  bool mounted() const { return mounted_; }
  std::string file(const std::string& name) const { return dir_.file(name); }

  /// Fills the disk with a file `name` until writes fail.
  void fill(const std::string& name = "filler") const {
    std::ofstream out{file(name), std::ios::binary};
    std::string block(4096, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())))
      ;
  }

  void free(const std::string& name = "filler") const { std::remove(file(name).c_str()); }

private:
  temp_dir dir_;
  bool mounted_ = false;
};

} // namespace chronos::test
