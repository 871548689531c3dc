#include "chronosd_metrics.hpp"

#include <exception>

#include <caf/all.hpp>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

namespace chronos {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::chrono::seconds scrape_timeout{2};

MetricFamily family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

MetricFamily single(std::string name, std::string help, MetricType type, double value) {
  auto f = family(std::move(name), std::move(help), type);
  ClientMetric m;
  if (type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(m);
  return f;
}

MetricFamily lateness_histogram(const stats_info& s) {
  auto f = family("chronos_delivery_lateness_seconds",
                  "Delivery time minus deadline of timeouts delivered on time",
                  MetricType::Histogram);
  ClientMetric m;
  m.histogram.sample_count = s.lateness_count;
  m.histogram.sample_sum = static_cast<double>(s.lateness_sum_us) / 1e6;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < std::size(lateness_bounds_us); ++i) {
    cumulative += i < s.lateness_buckets.size() ? s.lateness_buckets[i] : 0;
    m.histogram.bucket.push_back({cumulative, static_cast<double>(lateness_bounds_us[i]) / 1e6});
  }
  m.histogram.bucket.push_back({s.lateness_count, std::numeric_limits<double>::infinity()});
  f.metric.push_back(m);
  return f;
}

MetricFamily per_namespace(const std::vector<namespace_info>& rows, const char* name,
                           const char* help, std::uint64_t namespace_info::*gauge) {
  auto f = family(name, help, MetricType::Gauge);
  for (const auto& row : rows) {
    ClientMetric m;
    m.label.push_back({"namespace", row.name});
    m.gauge.value = static_cast<double>(row.*gauge);
    f.metric.push_back(m);
  }
  return f;
}

std::vector<MetricFamily> families(const stats_info& s, const std::vector<namespace_info>& ns) {
  const auto gauge = MetricType::Gauge;
  const auto counter = MetricType::Counter;
  const auto d = [](auto x) { return static_cast<double>(x); };
  return {
    single("chronos_up", "1 when the chronos actor answered this scrape", gauge, 1),
    single("chronos_pending", "Timeouts waiting for their deadline", gauge, d(s.pending)),
    single("chronos_parked", "Occurrences waiting for their name (or an acknowledgement)",
           gauge, d(s.parked)),
    single("chronos_names", "Names bound to live actors or groups", gauge, d(s.names)),
    single("chronos_client_nodes", "Distinct nodes whose actors hold names", gauge,
           d(s.client_nodes)),
    single("chronos_scheduled_total", "Timeouts scheduled", counter, d(s.scheduled)),
    single("chronos_fired_total", "Occurrences that came due", counter, d(s.fired)),
    single("chronos_delivered_total", "Occurrences sent to an actor", counter, d(s.delivered)),
    single("chronos_cancelled_total", "Timeouts cancelled", counter, d(s.cancelled)),
    single("chronos_skipped_total", "Occurrences a misfire policy did not deliver", counter,
           d(s.skipped)),
    single("chronos_unacked", "Group deliveries waiting for an acknowledgement", gauge,
           d(s.unacked)),
    single("chronos_redelivered_total", "Group deliveries sent again after a late ack",
           counter, d(s.redelivered)),
    single("chronos_journal_bytes", "Journal bytes since the last snapshot", gauge,
           d(s.journal_bytes)),
    single("chronos_snapshot_bytes", "Size of the state file when last read or written", gauge,
           d(s.snapshot_bytes)),
    single("chronos_compactions_total", "Journal compactions into a snapshot", counter,
           d(s.compactions)),
    single("chronos_last_compaction_seconds", "How long the last compaction took", gauge,
           d(s.last_compaction_ms) / 1e3),
    single("chronos_writable", "1 while the journal can be written", gauge, s.writable ? 1 : 0),
    single("chronos_leader", "1 while this chronosd serves (leads a shared store, or stands "
           "alone), 0 while it stands by", gauge, s.role == "standby" ? 0 : 1),
    single("chronos_lease_epoch", "The shared store's lease epoch last seen (0 without one)",
           gauge, d(s.epoch)),
    lateness_histogram(s),
    per_namespace(ns, "chronos_namespace_pending", "Pending timeouts per namespace",
                  &namespace_info::pending),
    per_namespace(ns, "chronos_namespace_parked", "Parked occurrences per namespace",
                  &namespace_info::parked),
    per_namespace(ns, "chronos_namespace_names", "Names with timeouts per namespace",
                  &namespace_info::names),
  };
}

class collector final : public prometheus::Collectable {
public:
  collector(caf::actor_system& sys, chronos_api server) : sys_(sys), server_(std::move(server)) {}

  // Called on the HTTP server's threads.
  std::vector<MetricFamily> Collect() const override {
    caf::scoped_actor self{sys_};
    std::optional<stats_info> stats;
    std::vector<namespace_info> namespaces;
    self->request(server_, scrape_timeout, stats_atom::value)
      .receive([&](stats_info& s) { stats = std::move(s); }, [](caf::error&) {});
    if (!stats)
      return {single("chronos_up", "1 when the chronos actor answered this scrape",
                     MetricType::Gauge, 0)};
    self->request(server_, scrape_timeout, stats_atom::value, name_selector{})
      .receive([&](std::vector<namespace_info>& rows) { namespaces = std::move(rows); },
               [](caf::error&) {});
    return families(*stats, namespaces);
  }

private:
  caf::actor_system& sys_;
  chronos_api server_;
};

class endpoint final : public metrics_endpoint {
public:
  endpoint(caf::actor_system& sys, chronos_api server, const std::string& address)
    : exposer_(address, 1), collector_(std::make_shared<collector>(sys, std::move(server))) {
    exposer_.RegisterCollectable(collector_);
  }

  int port() const override {
    auto ports = exposer_.GetListeningPorts();
    return ports.empty() ? 0 : ports.front();
  }

private:
  prometheus::Exposer exposer_;
  std::shared_ptr<collector> collector_;
};

} // namespace

outcome<std::unique_ptr<metrics_endpoint>> metrics_endpoint::start(caf::actor_system& sys,
                                                                   chronos_api server,
                                                                   const std::string& address) {
  try {
    return std::unique_ptr<metrics_endpoint>{std::make_unique<endpoint>(sys, std::move(server),
                                                                        address)};
  } catch (const std::exception& e) {
    return fail(errc::invalid_argument, "cannot serve metrics on " + address + ": " + e.what());
  }
}

} // namespace chronos
