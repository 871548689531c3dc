#include "chronos/server/namespaces.hpp"

namespace chronos {

std::string_view namespace_of(std::string_view name) {
  const auto slash = name.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : name.substr(0, slash);
}

bool covers(std::string_view selector, std::string_view name) {
  if (!is_namespace(selector))
    return selector.empty() || selector == name;
  return name.size() > selector.size() && name.compare(0, selector.size(), selector) == 0;
}

} // namespace chronos
