#include "bounded_multiplexer.hpp"

#include <sys/socket.h>

#include <caf/actor_system_config.hpp>
#include <caf/io/network/native_socket.hpp>
#include <caf/io/network/scribe_impl.hpp>

#include "chronos/log.hpp"

namespace chronos::detail {

namespace {

log_throttle refused_log;

// A connection whose reads may not be larger than `max_read` bytes.
class bounded_scribe : public caf::io::network::scribe_impl {
public:
  bounded_scribe(caf::io::network::default_multiplexer& mx, caf::io::network::native_socket fd,
                 std::size_t max_read)
    : scribe_impl(mx, fd), max_read_(max_read) {}

  void configure_read(caf::io::receive_policy::config cfg) override {
    if (cfg.second > max_read_) {
      refused_log.log(log_level::warning,
                      "closed the connection of " + addr() + ":" + std::to_string(port())
                        + ": it announced a message of " + std::to_string(cfg.second)
                        + " bytes, more than the " + std::to_string(max_read_)
                        + " chronosd accepts (--max-message-bytes)");
      // The next read finds the end of the stream: CAF closes the connection
      // as if the peer had. One byte is all it may ask for meanwhile.
      ::shutdown(stream_.fd(), SHUT_RDWR);
      cfg = caf::io::receive_policy::at_most(1);
    }
    scribe_impl::configure_read(cfg);
  }

private:
  std::size_t max_read_;
};

} // namespace

bounded_multiplexer::bounded_multiplexer(caf::actor_system* sys)
  : default_multiplexer(sys),
    max_read_(static_cast<std::size_t>(
      caf::get_or(sys->config(), max_message_bytes_key, std::int64_t{0}))) {}

caf::io::scribe_ptr bounded_multiplexer::new_scribe(caf::io::network::native_socket fd) {
  if (max_read_ == 0)
    return default_multiplexer::new_scribe(fd);
  caf::io::network::keepalive(fd, true); // as CAF's own connections
  return caf::make_counted<bounded_scribe>(*this, fd, max_read_);
}

} // namespace chronos::detail
