#include "chronos/table/token_list.hpp"

#include <stdexcept>

namespace chronos {

token_list::token_list(const std::vector<std::string>& texts) {
  reserve(texts.size());
  for (const auto& text : texts)
    push_back(text);
}

void token_list::push_back(std::string_view text) {
  if (text.size() != width)
    throw std::invalid_argument("not a token: '" + std::string{text} + "' ("
                                + std::to_string(text.size()) + " characters, a token has "
                                + std::to_string(width) + ")");
  text_.append(text);
}

std::vector<std::string> token_list::strings() const {
  return {begin(*this), end(*this)};
}

} // namespace chronos
