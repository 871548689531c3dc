#include "net/bounded_multiplexer.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/doorman.hpp>
#include <caf/io/network/acceptor_impl.hpp>
#include <caf/io/network/interfaces.hpp>
#include <caf/io/network/native_socket.hpp>
#include <caf/io/network/scribe_impl.hpp>
#include <caf/policy/tcp.hpp>

#include "chronos/base/log.hpp"

namespace chronos::detail {

namespace {

log_throttle refused_log;

} // namespace

// A connection whose reads stay within its multiplexer's bounds.
class bounded_scribe : public caf::io::network::scribe_impl {
public:
  bounded_scribe(bounded_multiplexer& mx, caf::io::network::native_socket fd)
    : scribe_impl(mx, fd), mx_(mx) {}

  ~bounded_scribe() override {
    if (!handshaken_)
      mx_.unwatch(this);
    mx_.release(reserved_);
  }

  void configure_read(caf::io::receive_policy::config cfg) override {
    const std::size_t bytes = cfg.second;
    const bool handshake = payloads_ == 0;
    if (bytes > caf::io::basp::header_size)
      ++payloads_;
    else if (payloads_ == 1 && !handshaken_) { // the header after the handshake: it was taken
      handshaken_ = true;
      mx_.unwatch(this);
    }
    const std::size_t large = bytes > small_message_bytes ? bytes - small_message_bytes : 0;
    if (handshake && large > 0)
      refuse(cfg, "a handshake of " + std::to_string(bytes) + " bytes, more than the "
                    + std::to_string(small_message_bytes) + " one may take");
    else if (bytes > mx_.max_message_bytes())
      refuse(cfg, "a message of " + std::to_string(bytes) + " bytes, more than the "
                    + std::to_string(mx_.max_message_bytes())
                    + " chronosd accepts (--max-message-bytes)");
    else if (large > reserved_ && !mx_.reserve(large - reserved_))
      refuse(cfg, "a message of " + std::to_string(bytes)
                    + " bytes while the large messages of all connections take what "
                      "chronosd gives them (--max-message-total)");
    else
      reserved_ = std::max(reserved_, large); // CAF's buffer keeps its largest size
    scribe_impl::configure_read(cfg);
  }

  // After a refusal nothing more reaches the broker: the connection ends as
  // if it had failed. The shutdown alone does not end it: a peer that goes on
  // sending would be read on, a few bytes at a time, for as long as it likes.
  bool consume(caf::execution_unit* ctx, const void* buf, std::size_t size) override {
    received_ = true;
    if (closed_.load(std::memory_order_relaxed)) {
      if (!detached())
        io_failure(ctx, caf::io::network::operation::read);
      return false;
    }
    return scribe_impl::consume(ctx, buf, size);
  }

  // The broker closes a connection before its handshake was taken when what
  // came was not a handshake it accepts.
  void graceful_shutdown() override {
    if (received_ && !handshaken_)
      refused_log.log(log_level::warning, [&] {
        return "refused " + addr() + ":" + std::to_string(port())
               + ": it sent no handshake chronosd accepts (another protocol or version, "
                 "or garbage)";
      });
    scribe_impl::graceful_shutdown();
  }

  /// Closes the connection, saying why.
  void close(const std::string& why) {
    refused_log.log(log_level::warning, [&] {
      return "closed the connection of " + addr() + ":" + std::to_string(port()) + ": " + why;
    });
    closed_.store(true, std::memory_order_relaxed);
    ::shutdown(stream_.fd(), SHUT_RDWR);
  }

private:
  // The next read finds the end of the stream: CAF closes the connection as
  // if the peer had. One byte is all it may ask for meanwhile.
  void refuse(caf::io::receive_policy::config& cfg, const std::string& what) {
    close("it announced " + what);
    cfg = caf::io::receive_policy::at_most(1);
  }

  bounded_multiplexer& mx_;
  std::size_t payloads_ = 0;
  bool received_ = false;
  bool handshaken_ = false;
  // Set by `close`, which the handshake sweep calls from another thread.
  std::atomic<bool> closed_{false};
  // Of the budget for large messages: what this connection's buffer holds
  // beyond small_message_bytes.
  std::size_t reserved_ = 0;
};

namespace {

// CAF's TCP accept, and what to do when the process has no descriptor left
// for the connection: accept it on a spare one and close it at once. Left
// in the queue, it would wake the multiplexer again at once, for ever.
class accept_policy : public caf::policy::tcp {
public:
  accept_policy() : spare_(open_spare()) {}
  ~accept_policy() {
    if (spare_ >= 0)
      ::close(spare_);
  }
  accept_policy(const accept_policy&) = delete;
  accept_policy& operator=(const accept_policy&) = delete;

  bool try_accept(caf::io::network::native_socket& result, caf::io::network::native_socket fd) {
    if (caf::policy::tcp::try_accept(result, fd))
      return true;
    const int err = errno;
    if ((err != EMFILE && err != ENFILE) || spare_ < 0)
      return false;
    ::close(spare_);
    const int refused = ::accept(fd, nullptr, nullptr);
    if (refused >= 0)
      ::close(refused);
    spare_ = open_spare();
    refused_log.log(log_level::warning, [&] {
      return std::string{"no file descriptor left (ulimit -n): closed a new connection at once"};
    });
    result = caf::io::network::invalid_native_socket;
    return true;
  }

private:
  static int open_spare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

  int spare_;
};

// CAF's doorman with accept_policy: hands each accepted connection to the
// multiplexer's new_scribe, as CAF's does.
class bounded_doorman : public caf::io::doorman {
public:
  bounded_doorman(caf::io::network::default_multiplexer& mx, caf::io::network::native_socket fd)
    : doorman(caf::io::network::accept_hdl_from_socket(fd)), acceptor_(mx, fd) {}

  bool new_connection() override {
    if (detached())
      return false; // the broker let go of it while an event was pending
    auto& mx = acceptor_.backend();
    auto connection = mx.new_scribe(acceptor_.accepted_socket());
    auto hdl = connection->hdl();
    parent()->add_scribe(std::move(connection));
    return doorman::new_connection(&mx, hdl);
  }

  void graceful_shutdown() override {
    acceptor_.graceful_shutdown();
    detach(&acceptor_.backend(), false);
  }

  void launch() override { acceptor_.start(this); }

  std::string addr() const override {
    auto x = caf::io::network::local_addr_of_fd(acceptor_.fd());
    return x ? std::move(*x) : std::string{};
  }

  std::uint16_t port() const override {
    auto x = caf::io::network::local_port_of_fd(acceptor_.fd());
    return x ? *x : 0;
  }

  void add_to_loop() override { acceptor_.activate(this); }

  void remove_from_loop() override { acceptor_.passivate(); }

private:
  caf::io::network::acceptor_impl<accept_policy> acceptor_;
};

std::size_t setting(caf::actor_system* sys, const char* key) {
  return static_cast<std::size_t>(caf::get_or(sys->config(), key, std::int64_t{0}));
}

} // namespace

bounded_multiplexer::bounded_multiplexer(caf::actor_system* sys)
  : default_multiplexer(sys), max_message_(setting(sys, max_message_bytes_key)),
    budget_(setting(sys, max_message_total_key)),
    handshake_timeout_(static_cast<std::int64_t>(setting(sys, handshake_timeout_key))) {}

caf::io::scribe_ptr bounded_multiplexer::new_scribe(caf::io::network::native_socket fd) {
  if (max_message_ == 0 || budget_ == 0)
    return default_multiplexer::new_scribe(fd);
  caf::io::network::keepalive(fd, true); // as CAF's own connections
  auto connection = caf::make_counted<bounded_scribe>(*this, fd);
  if (handshake_timeout_.count() > 0) {
    sweep();
    std::lock_guard<std::mutex> guard{watched_mutex_};
    watched_.emplace_back(connection.get(),
                          std::chrono::steady_clock::now() + handshake_timeout_);
  }
  return connection;
}

caf::io::doorman_ptr bounded_multiplexer::new_doorman(caf::io::network::native_socket fd) {
  return caf::make_counted<bounded_doorman>(*this, fd);
}

void bounded_multiplexer::unwatch(const bounded_scribe* connection) {
  std::lock_guard<std::mutex> guard{watched_mutex_};
  auto it = std::find_if(watched_.begin(), watched_.end(),
                         [&](const auto& entry) { return entry.first == connection; });
  if (it != watched_.end())
    watched_.erase(it);
}

void bounded_multiplexer::sweep() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> guard{watched_mutex_};
  auto overdue = std::stable_partition(watched_.begin(), watched_.end(),
                                       [&](const auto& entry) { return entry.second > now; });
  for (auto it = overdue; it != watched_.end(); ++it)
    it->first->close("it did not complete its handshake within "
                     + std::to_string(handshake_timeout_.count()) + " ms");
  watched_.erase(overdue, watched_.end());
}

bool bounded_multiplexer::reserve(std::size_t bytes) {
  auto taken = reserved_.load(std::memory_order_relaxed);
  do {
    if (bytes > budget_ - taken)
      return false;
  } while (!reserved_.compare_exchange_weak(taken, taken + bytes, std::memory_order_relaxed));
  return true;
}

void bounded_multiplexer::release(std::size_t bytes) {
  reserved_.fetch_sub(bytes, std::memory_order_relaxed);
}

} // namespace chronos::detail
