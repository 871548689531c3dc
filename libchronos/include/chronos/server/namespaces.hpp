#pragma once

// Namespaces: '/' groups client names. "billing/eu/invoice-42" is in the
// namespace "billing/eu", which is inside "billing"; a name without '/' is in
// the root namespace "". Bulk requests (list, count, cancel, per-namespace
// stats) take a selector: a name, or a namespace written with a trailing '/'
// ("billing/") that covers every name under it. Names themselves never end
// in '/', so the two cannot be confused.

#include <string_view>

namespace chronos {

/// The namespace a name is directly in: the text before its last '/'.
std::string_view namespace_of(std::string_view name);

/// True when `selector` covers `name`: the name itself, or a namespace
/// ("billing/") that `name` is in or below. The empty selector covers all.
bool covers(std::string_view selector, std::string_view name);

/// True when `selector` is a namespace ("billing/") rather than one name.
inline bool is_namespace(std::string_view selector) {
  return !selector.empty() && selector.back() == '/';
}

} // namespace chronos
