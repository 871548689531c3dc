#pragma once

// An allocator that takes large arrays straight from the system's pages.
//
// The timer table's arrays grow by doubling and shrink when the table empties.
// From malloc, the pages of every smaller copy they leave behind stay with the
// process (glibc keeps freed heap memory and, after the first large free,
// serves even large blocks from the heap): RSS grew by 72-76 bytes a timeout
// for a table of 59, and cancelling a million timeouts gave nothing back.
// Arrays of a megabyte or more are therefore mapped on their own (mmap) and
// returned whole (munmap) when freed; smaller ones come from operator new.
// They are also marked for transparent huge pages: fewer page faults as they
// grow, fewer TLB misses on the token index's random probes. (AddressSanitizer
// watches only the smaller ones, which the table's unit tests mostly use.)

#include <cstddef>
#include <new>
#include <vector>

namespace chronos {
namespace detail {

/// Arrays of this many bytes or more are mapped on their own.
constexpr std::size_t own_pages_from = std::size_t{1} << 20;

/// Zeroed pages for `bytes` bytes; throws std::bad_alloc.
void* map_pages(std::size_t bytes);
void unmap_pages(void* pages, std::size_t bytes) noexcept;

} // namespace detail

template <class T>
class page_allocator {
public:
  using value_type = T;

  page_allocator() noexcept = default;
  template <class U>
  page_allocator(const page_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T))
      throw std::bad_array_new_length{};
    const std::size_t bytes = n * sizeof(T);
    if (bytes < detail::own_pages_from)
      return static_cast<T*>(::operator new(bytes));
    return static_cast<T*>(detail::map_pages(bytes));
  }

  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < detail::own_pages_from)
      ::operator delete(p);
    else
      detail::unmap_pages(p, bytes);
  }

  template <class U>
  friend bool operator==(const page_allocator&, const page_allocator<U>&) noexcept {
    return true;
  }
  template <class U>
  friend bool operator!=(const page_allocator&, const page_allocator<U>&) noexcept {
    return false;
  }
};

/// A vector whose large buffers go back to the system when freed.
template <class T>
using big_vector = std::vector<T, page_allocator<T>>;

} // namespace chronos
