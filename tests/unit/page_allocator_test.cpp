#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <unistd.h>

#include "chronos/page_allocator.hpp"

using namespace chronos;

namespace {

std::size_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t total = 0, resident = 0;
  statm >> total >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
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
  auto array = std::make_unique<big_vector<char>>(size, 'x');
  auto above = std::make_unique<char[]>(64); // would pin the heap's top above it
  const std::size_t with = resident_bytes();
  array.reset();
  const std::size_t without = resident_bytes();
  REQUIRE(with > without);
  CHECK(with - without >= size - (1u << 20));
}

TEST_CASE("big vectors grow, shrink and copy across the size where their pages change hands") {
  big_vector<std::uint32_t> numbers;
  const std::size_t many = detail::own_pages_from / sizeof(std::uint32_t) * 3;
  for (std::uint32_t i = 0; i < many; ++i)
    numbers.push_back(i);
  big_vector<std::uint32_t> copy = numbers;
  numbers.resize(100);
  numbers.shrink_to_fit();
  CHECK(numbers.capacity() * sizeof(std::uint32_t) < detail::own_pages_from);
  for (std::uint32_t i = 0; i < 100; ++i)
    CHECK(numbers[i] == i);
  REQUIRE(copy.size() == many);
  CHECK(copy.front() == 0);
  CHECK(copy.back() == many - 1);
  CHECK_THROWS_AS(page_allocator<std::uint64_t>{}.allocate(static_cast<std::size_t>(-1) / 4),
                  std::bad_array_new_length);
}
