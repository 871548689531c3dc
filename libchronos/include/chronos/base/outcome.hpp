#pragma once

// Either a value or a `failure`: how the pure parts report errors, so nothing
// throws across the actor boundary (C++17 has no std::expected).

#include <cassert>
#include <utility>
#include <variant>

#include "chronos/base/errc.hpp"

namespace chronos {

template <class T>
class outcome {
public:
  outcome(T value) : data_(std::move(value)) {}
  outcome(failure f) : data_(std::move(f)) {}

  explicit operator bool() const noexcept { return data_.index() == 0; }

  T& value() & {
    assert(*this);
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(*this);
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(*this);
    return std::get<0>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const failure& error() const {
    assert(!*this);
    return std::get<1>(data_);
  }

private:
  std::variant<T, failure> data_;
};

/// For operations that return nothing but may fail.
struct done {};
using status = outcome<done>;

inline failure fail(errc code, std::string detail) { return {code, std::move(detail)}; }

} // namespace chronos
