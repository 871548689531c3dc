#pragma once

// A vector of plain values (trivially copyable) for the timer table's large
// arrays, whose buffers of a huge page (2 MB) or more are the system's own
// pages.
//
// - Freed memory goes back. From malloc, the pages of every smaller copy a
//   doubling array leaves behind stay with the process (glibc keeps freed heap
//   memory and, after the first large free, serves even large blocks from the
//   heap): RSS grew by 72-76 bytes a timeout for a table of 59, and cancelling
//   a million timeouts gave nothing back. A large buffer is therefore mapped
//   on its own (mmap) and returned whole (munmap); smaller ones use malloc.
// - Growing moves pages instead of copying them. A mapped buffer grows by
//   mremap: its pages are moved into the larger range, not copied into fresh
//   ones, so a doubling array touches each page once. Fresh pages are the
//   expensive part on a VM (the host backs them on first touch: a new
//   process's first touches ran at 0.2-2 GB/s here, reused pages at 10 GB/s).
// - Large buffers are marked for transparent huge pages: fewer page faults as
//   they grow, fewer TLB misses on the token index's random probes. They are
//   whole huge pages, so that a move keeps every page huge (a buffer whose
//   tail shared a huge page's range with nothing kept small pages there, and
//   remapped them along: a table of a million held 39 of its 59 MB in huge
//   pages, against all of it when copied).
// (AddressSanitizer watches only the malloc'd buffers, which the table's unit
// tests mostly use.)

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace chronos {
namespace detail {

/// Buffers of this many bytes (a huge page) or more are mapped on their own,
/// in whole huge pages.
constexpr std::size_t own_pages_from = std::size_t{2} << 20;

/// Whether mapped buffers grow by mremap. ThreadSanitizer does not follow
/// mremap (the moved range keeps stale shadow memory, which it reports as
/// races), so its builds copy instead.
#if defined(__SANITIZE_THREAD__)
constexpr bool remaps = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool remaps = false;
#else
constexpr bool remaps = true;
#endif
#else
constexpr bool remaps = true;
#endif

/// A buffer of `new_bytes` (> 0) holding the first min(old, new) bytes of
/// `data` (null when `old_bytes` is 0), which it replaces. Throws
/// std::bad_alloc, leaving `data` as it was.
void* resize_buffer(void* data, std::size_t old_bytes, std::size_t new_bytes);
void free_buffer(void* data, std::size_t bytes) noexcept;

} // namespace detail

template <class T>
class page_vector {
  static_assert(std::is_trivially_copyable_v<T>, "buffers are moved as bytes");

public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  page_vector() noexcept = default;
  explicit page_vector(std::size_t n, const T& value = T{}) { resize(n, value); }
  page_vector(const page_vector& other) {
    reserve(other.size_);
    if (other.size_ > 0)
      std::memcpy(data_, other.data_, other.size_ * sizeof(T));
    size_ = other.size_;
  }
  page_vector(page_vector&& other) noexcept { swap(other); }
  page_vector& operator=(page_vector other) noexcept {
    swap(other);
    return *this;
  }
  ~page_vector() {
    if (data_)
      detail::free_buffer(data_, capacity_ * sizeof(T));
  }

  void swap(page_vector& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }

  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& front() { return data_[0]; }
  const T& front() const { return data_[0]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  iterator begin() { return data_; }
  iterator end() { return data_ + size_; }
  const_iterator begin() const { return data_; }
  const_iterator end() const { return data_ + size_; }

  void reserve(std::size_t n) {
    if (n > capacity_)
      set_capacity(n);
  }
  void shrink_to_fit() {
    if (capacity_ > size_)
      set_capacity(size_);
  }
  void clear() noexcept { size_ = 0; }

  /// Takes a copy first: `value` may live in the buffer that growing moves.
  void push_back(T value) {
    if (size_ == capacity_)
      set_capacity(std::max<std::size_t>(2 * capacity_, 16));
    data_[size_++] = value;
  }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    push_back(T(std::forward<Args>(args)...));
    return back();
  }
  void pop_back() { --size_; }

  void resize(std::size_t n, T value = T{}) {
    reserve(n);
    std::fill(data_ + std::min(size_, n), data_ + n, value);
    size_ = n;
  }
  void assign(std::size_t n, T value) {
    clear();
    resize(n, value);
  }

private:
  void set_capacity(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T))
      throw std::bad_array_new_length{};
    if (n == 0) {
      page_vector{}.swap(*this);
      return;
    }
    data_ = static_cast<T*>(detail::resize_buffer(data_, capacity_ * sizeof(T), n * sizeof(T)));
    capacity_ = n;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

} // namespace chronos
