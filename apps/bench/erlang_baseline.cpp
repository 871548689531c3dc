#include "erlang_baseline.hpp"

#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

#include "child.hpp"

namespace chronos::bench {

namespace {

std::optional<std::string> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  for (;;) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    auto candidate = (dir.empty() ? std::string{"."} : std::string{dir}) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos)
      return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

// Why there is no Erlang baseline here, if there is none.
std::optional<std::string> missing(const std::optional<std::string>& escript,
                                   const std::string& script) {
  if (!escript)
    return "escript is not on PATH (Debian's erlang-base)";
  if (::access(script.c_str(), R_OK) != 0)
    return script + " is missing";
  return std::nullopt;
}

} // namespace

void erlang_baseline(const std::string& workload, std::size_t n, const options& opts,
                     report& out, const std::string& note) {
  static const auto escript = find_on_path("escript");
  const std::string script = CHRONOS_BENCH_ERLANG_SCRIPT;
  if (auto why = missing(escript, script)) {
    static bool told = false;
    if (!std::exchange(told, true))
      std::cerr << "chronos-bench: no Erlang baseline: " << *why << "\n";
    return;
  }
  std::vector<std::string> args{*escript,
                                script,
                                workload,
                                std::to_string(n),
                                std::to_string(opts.seed),
                                std::to_string(static_cast<long>(opts.seconds)),
                                note};
  // Made before the fork: the child only execs.
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const int status = figures_from_child(
    [&] {
      ::execv(argv[0], argv.data());
      std::_Exit(127);
    },
    out);
  if (status != 0)
    throw std::runtime_error("the Erlang baseline's " + workload + " failed (exit status "
                             + std::to_string(status) + ")");
}

} // namespace chronos::bench
