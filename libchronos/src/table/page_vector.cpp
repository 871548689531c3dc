#include "chronos/detail/page_vector.hpp"

#include <cstdlib>
#include <sys/mman.h>

namespace chronos::detail {

namespace {

bool mapped(std::size_t bytes) { return bytes >= own_pages_from; }

// What a mapped buffer of `bytes` really spans: whole huge pages.
std::size_t mapped_size(std::size_t bytes) {
  return (bytes + own_pages_from - 1) / own_pages_from * own_pages_from;
}

void* allocate(std::size_t bytes) {
  if (!mapped(bytes)) {
    if (void* p = std::malloc(bytes))
      return p;
    throw std::bad_alloc{};
  }
  const auto size = mapped_size(bytes);
  void* pages = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED)
    throw std::bad_alloc{};
  ::madvise(pages, size, MADV_HUGEPAGE);
  return pages;
}

} // namespace

void* resize_buffer(void* data, std::size_t old_bytes, std::size_t new_bytes) {
  if (old_bytes == 0)
    return allocate(new_bytes);
  if (remaps && mapped(old_bytes) && mapped(new_bytes)) {
    void* moved = ::mremap(data, mapped_size(old_bytes), mapped_size(new_bytes), MREMAP_MAYMOVE);
    if (moved == MAP_FAILED)
      throw std::bad_alloc{};
    return moved;
  }
  if (!mapped(old_bytes) && !mapped(new_bytes)) {
    if (void* p = std::realloc(data, new_bytes))
      return p;
    throw std::bad_alloc{};
  }
  // Across the size where buffers are mapped (or without remapping): a copy.
  void* fresh = allocate(new_bytes);
  std::memcpy(fresh, data, std::min(old_bytes, new_bytes));
  free_buffer(data, old_bytes);
  return fresh;
}

void free_buffer(void* data, std::size_t bytes) noexcept {
  if (mapped(bytes))
    ::munmap(data, mapped_size(bytes));
  else
    std::free(data);
}

} // namespace chronos::detail
