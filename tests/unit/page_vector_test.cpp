#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include "chronos/detail/page_vector.hpp"

using namespace chronos;

namespace {

std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

std::size_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t total = 0, resident = 0;
  statm >> total >> resident;
  return resident * page_size();
}

// The peak RSS since the last reset_peak_resident(), from /proc/self/status.
std::size_t peak_resident_bytes() {
  std::ifstream status{"/proc/self/status"};
  for (std::string word; status >> word;)
    if (word == "VmHWM:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
  return 0;
}

bool reset_peak_resident() {
  std::ofstream clear{"/proc/self/clear_refs"};
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

} // namespace

TEST_CASE("a large array goes back to the system when freed, even where malloc would keep it") {
  // After a large block is freed, glibc serves blocks up to its size from the
  // heap, and keeps the pages of a freed one below the heap's top: what the
  // timer table's old arrays did.
  char* volatile large = static_cast<char*>(std::malloc(24u << 20)); // volatile: not elided
  large[0] = 1;
  std::free(large);
  constexpr std::size_t size = 8u << 20;
  auto array = std::make_unique<page_vector<char>>(size, 'x');
  auto above = std::make_unique<char[]>(64); // would pin the heap's top above it
  const std::size_t with = resident_bytes();
  array.reset();
  const std::size_t without = resident_bytes();
  REQUIRE(with > without);
  CHECK(with - without >= size - (1u << 20));
}

TEST_CASE("a large array grows without copying its pages into fresh ones") {
  if (!detail::remaps) {
    WARN("this build copies large arrays as they grow (ThreadSanitizer)");
    return;
  }
  constexpr std::size_t size = 64u << 20;
  page_vector<char> array(size, 'x');
  if (!reset_peak_resident()) {
    WARN("/proc/self/clear_refs is not writable here: the peak cannot be reset");
    return;
  }
  const std::size_t before = resident_bytes();
  array.reserve(2 * size); // a copy would hold both buffers at once
  CHECK(peak_resident_bytes() < before + size / 4);
  REQUIRE(array.size() == size);
  CHECK(array.front() == 'x');
  CHECK(array.back() == 'x');
  CHECK(array[size / 2] == 'x');
}

TEST_CASE("big vectors grow, shrink and copy across the size where their pages change hands") {
  page_vector<std::uint32_t> numbers;
  const std::size_t many = detail::own_pages_from / sizeof(std::uint32_t) * 3;
  for (std::uint32_t i = 0; i < many; ++i)
    numbers.push_back(i);
  page_vector<std::uint32_t> copy = numbers;
  numbers.resize(100);
  numbers.shrink_to_fit();
  CHECK(numbers.capacity() * sizeof(std::uint32_t) < detail::own_pages_from);
  for (std::uint32_t i = 0; i < 100; ++i)
    CHECK(numbers[i] == i);
  REQUIRE(copy.size() == many);
  for (std::uint32_t i = 0; i < many; i += 4099)
    CHECK(copy[i] == i);
  CHECK(copy.back() == many - 1);
  numbers = copy; // a small buffer replaced by a mapped one
  CHECK(numbers.size() == many);
  CHECK(numbers[many / 2] == many / 2);
  copy.resize(many + 10, 7);
  CHECK(copy[many - 1] == many - 1);
  CHECK(copy[many + 9] == 7);
  copy.shrink_to_fit();
  CHECK(copy.capacity() == many + 10);
  copy.clear();
  copy.shrink_to_fit();
  CHECK(copy.capacity() == 0);
  CHECK(copy.empty());
}

TEST_CASE("a value pushed from the vector itself survives the growth that moves it") {
  page_vector<std::uint64_t> values;
  values.push_back(42);
  while (values.size() < values.capacity())
    values.push_back(1);
  values.push_back(values.front()); // grows: front() moves
  CHECK(values.back() == 42);
  CHECK_THROWS_AS(values.reserve(static_cast<std::size_t>(-1) / 4), std::bad_array_new_length);
}
