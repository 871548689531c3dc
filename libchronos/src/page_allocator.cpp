#include "chronos/page_allocator.hpp"

#include <sys/mman.h>

namespace chronos::detail {

void* map_pages(std::size_t bytes) {
  void* pages = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED)
    throw std::bad_alloc{};
  ::madvise(pages, bytes, MADV_HUGEPAGE);
  return pages;
}

void unmap_pages(void* pages, std::size_t bytes) noexcept { ::munmap(pages, bytes); }

} // namespace chronos::detail
