#include "chronos/server/messages.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace chronos {

caf::error make_error(errc code, std::string detail) {
  return caf::error{static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(detail))};
}

caf::error make_error(const failure& f) {
  return make_error(f.code, f.detail);
}

std::optional<errc> code_of(const caf::error& err) {
  if (err.category() != error_category)
    return std::nullopt;
  return static_cast<errc>(err.code());
}

std::string describe(const caf::error& err) {
  if (err.category() == error_category) {
    const auto& ctx = err.context();
    if (ctx.match_elements<std::string>())
      return ctx.get_as<std::string>(0);
    return to_string(static_cast<errc>(err.code()));
  }
  if (err.category() == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(err.code()));
  return caf::to_string(err);
}

caf::actor_system_config& register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<when_spec>("chronos_when");
  cfg.add_message_type<schedule_request>("chronos_schedule_request");
  cfg.add_message_type<chronos_timeout>("chronos_timeout");
  cfg.add_message_type<token_list>("chronos_token_list");
  // Also registers std::vector<timeout_info>, i.e. timeout_list.
  cfg.add_message_type<timeout_info>("chronos_timeout_info");
  cfg.add_message_type<stats_info>("chronos_stats");
  cfg.add_message_type<name_selector>("chronos_name_selector");
  cfg.add_message_type<timeout_count>("chronos_timeout_count");
  // Also registers std::vector<namespace_info>.
  cfg.add_message_type<namespace_info>("chronos_namespace_info");
  cfg.add_message_type<clock_info>("chronos_clock_info");
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = "chronos::";
                           out += to_string(static_cast<errc>(code));
                           if (ctx.match_elements<std::string>())
                             out += ": " + ctx.get_as<std::string>(0);
                           return out;
                         });
  return cfg;
}

} // namespace chronos
