#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <tuple>

#include <nlohmann/json.hpp>

namespace chronos::bench {

namespace {

// What makes figures of different runs the same figure (a metric has one unit).
auto key_of(const figure& f) {
  return std::tie(f.workload, f.system, f.metric, f.note, f.unit);
}

// Values grouped by key, keys in the order first seen.
template <class Key>
struct groups {
  std::vector<Key> keys;
  std::vector<std::vector<double>> values;

  void add(const Key& k, double v) {
    auto it = std::find(keys.begin(), keys.end(), k);
    if (it == keys.end()) {
      keys.push_back(k);
      values.emplace_back();
      it = keys.end() - 1;
    }
    values[static_cast<std::size_t>(it - keys.begin())].push_back(v);
  }
};

std::string two_places(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", x);
  return text;
}

} // namespace

void report::begin_run(std::size_t k) {
  run_ = k;
  if (runs_ > 1 && !json_)
    std::printf("run %zu of %zu\n", k, runs_);
}

std::optional<figure> parse_figure(const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("value"))
    return std::nullopt;
  try {
    return figure{j.at("workload"), j.at("system"), j.at("metric"),
                  j.at("value"),    j.at("unit"),   j.value("note", "")};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void report::add(figure f) {
  if (json_) {
    nlohmann::json line{{"workload", f.workload}, {"system", f.system}, {"metric", f.metric},
                        {"value", f.value},       {"unit", f.unit}};
    if (!f.note.empty())
      line["note"] = f.note;
    if (runs_ > 1)
      line["run"] = run_;
    std::cout << line.dump() << std::endl;
  } else {
    std::printf("%-8s %-17s %-18s %14.6g %-5s %s\n", f.workload.c_str(), f.system.c_str(),
                f.metric.c_str(), f.value, f.unit.c_str(), f.note.c_str());
    std::fflush(stdout);
  }
  figures_.push_back({std::move(f), run_});
}

void report::print_summary() const {
  if (runs_ > 1)
    print_medians();
  print_ratios();
}

report::spread report::spread_of(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  const auto mid = xs.size() / 2;
  const double median = xs.size() % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return {median, xs.front(), xs.back()};
}

void report::print_medians() const {
  groups<std::tuple<std::string, std::string, std::string, std::string, std::string>> by_figure;
  for (const auto& m : figures_)
    by_figure.add(key_of(m.f), m.f.value);
  if (!json_)
    std::printf("median of %zu runs (min-max)\n", runs_);
  for (std::size_t i = 0; i < by_figure.keys.size(); ++i) {
    const auto& [workload, system, metric, note, unit] = by_figure.keys[i];
    const auto s = spread_of(by_figure.values[i]);
    if (json_) {
      nlohmann::json line{{"workload", workload}, {"system", system}, {"metric", metric},
                          {"unit", unit},         {"median", s.median}, {"min", s.min},
                          {"max", s.max},         {"runs", by_figure.values[i].size()}};
      if (!note.empty())
        line["note"] = note;
      std::cout << line.dump() << std::endl;
    } else {
      std::printf("%-8s %-17s %-18s %14.6g %-5s (%.6g-%.6g) %s\n", workload.c_str(),
                  system.c_str(), metric.c_str(), s.median, unit.c_str(), s.min, s.max,
                  note.c_str());
    }
  }
}

void report::print_ratios() const {
  // chronos against each baseline of the same run, metric and note.
  groups<std::tuple<std::string, std::string, std::string, std::string>> by_pair;
  for (const auto& a : figures_) {
    if (a.f.system != "chronos")
      continue;
    for (const auto& b : figures_)
      if (b.run == a.run && b.f.system != "chronos" && b.f.metric == a.f.metric
          && b.f.note == a.f.note && b.f.value != 0)
        by_pair.add({a.f.workload, b.f.system, a.f.metric, a.f.note}, a.f.value / b.f.value);
  }
  for (std::size_t i = 0; i < by_pair.keys.size(); ++i) {
    const auto& [workload, baseline, metric, note] = by_pair.keys[i];
    const auto s = spread_of(by_pair.values[i]);
    if (json_) {
      if (runs_ == 1)
        continue; // one run's ratios follow from its figures
      nlohmann::json line{{"workload", workload}, {"system", "chronos / " + baseline},
                          {"metric", metric},     {"unit", "x"},
                          {"median", s.median},   {"min", s.min},
                          {"max", s.max},         {"runs", by_pair.values[i].size()}};
      if (!note.empty())
        line["note"] = note;
      std::cout << line.dump() << std::endl;
    } else {
      const auto range = runs_ == 1 ? std::string{}
                                    : " (" + two_places(s.min) + "-" + two_places(s.max) + ")";
      std::printf("%-8s chronos / %s %s: %sx%s  %s\n", workload.c_str(), baseline.c_str(),
                  metric.c_str(), two_places(s.median).c_str(), range.c_str(), note.c_str());
    }
  }
}

} // namespace chronos::bench
