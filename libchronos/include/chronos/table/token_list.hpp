#pragma once

// Many tokens in one buffer, in order: what a batch schedule answers, and
// what a batch cancel may carry. As a vector of strings, a batch of 1,000
// tokens is 1,000 allocations made on chronos's thread and freed on the
// client's (a quarter of a batched schedule's time in chronos-bench w1); as
// one list it is one, and it travels as one string.

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/table/token.hpp"

namespace chronos {

class token_list {
public:
  /// Every entry has a token's width.
  static constexpr std::size_t width = token::text_size;

  class const_iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    const_iterator() = default;
    explicit const_iterator(const char* at) : at_(at) {}
    std::string_view operator*() const { return {at_, width}; }
    const_iterator& operator++() {
      at_ += width;
      return *this;
    }
    const_iterator operator++(int) {
      auto was = *this;
      ++*this;
      return was;
    }
    friend bool operator==(const_iterator a, const_iterator b) { return a.at_ == b.at_; }
    friend bool operator!=(const_iterator a, const_iterator b) { return a.at_ != b.at_; }

  private:
    const char* at_ = nullptr;
  };

  token_list() = default;
  /// The texts of `texts`, in order; throws `std::invalid_argument` for one
  /// that is not a token's width (such a text is no token: cancel it through
  /// a `std::vector<std::string>` to be told which).
  explicit token_list(const std::vector<std::string>& texts);

  void reserve(std::size_t n) { text_.reserve(n * width); }
  void push_back(token t) { t.append_to(text_); }
  /// Throws `std::invalid_argument` if `text` is not a token's width.
  void push_back(std::string_view text);

  std::size_t size() const { return text_.size() / width; }
  bool empty() const { return size() == 0; }
  std::string_view operator[](std::size_t i) const { return {text_.data() + i * width, width}; }
  // Free begin and end (for range-for), not members: CAF 0.17 takes a type
  // with members begin and end for a container and serializes it as one.
  friend const_iterator begin(const token_list& x) { return const_iterator{x.text_.data()}; }
  friend const_iterator end(const token_list& x) {
    return const_iterator{x.text_.data() + x.size() * width};
  }
  /// The tokens as strings of their own.
  std::vector<std::string> strings() const;

  /// False for a list whose text ends in part of a token: one that arrived
  /// from the network altered. chronos refuses it whole.
  bool whole() const { return text_.size() % width == 0; }

  friend bool operator==(const token_list& a, const token_list& b) { return a.text_ == b.text_; }
  friend bool operator!=(const token_list& a, const token_list& b) { return !(a == b); }

  // Serialization (messages.hpp): the text as it is.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, token_list& x);

private:
  std::string text_;
};

} // namespace chronos
