#pragma once

// Figures a workload measured, printed as a table or as one JSON object a line:
// {"workload": "w1", "system": "chronos", "metric": "schedules_per_s", "value": 3.9e6, "unit": "1/s"}
// Over several runs, each figure's median and range follow, and chronos's
// ratio to each baseline, taken within each run (the machine's load shifts
// between runs; both systems in one run see the same).

#include <optional>
#include <string>
#include <vector>

namespace chronos::bench {

struct figure {
  std::string workload;
  std::string system; // "chronos" or the baseline, "caf_delayed_send"
  std::string metric;
  double value;
  std::string unit;
  std::string note; // shown in the table only: clients, mode...
};

/// A figure from a line that `report` printed as JSON; nullopt for other lines.
std::optional<figure> parse_figure(const std::string& line);

class report {
public:
  report(bool as_json, std::size_t runs) : json_(as_json), runs_(runs) {}

  /// Figures added from now on belong to run `k` (1-based) of the `runs`.
  void begin_run(std::size_t k);
  void add(figure f);
  /// The closing lines: with one run, chronos against each baseline, metric by
  /// metric; with more, every figure's median and range, then the ratios'.
  void print_summary() const;

private:
  struct measured {
    figure f;
    std::size_t run;
  };
  struct spread {
    double median, min, max;
  };
  static spread spread_of(std::vector<double> xs);
  void print_medians() const;
  void print_ratios() const;

  bool json_;
  std::size_t runs_;
  std::size_t run_ = 1;
  std::vector<measured> figures_;
};

} // namespace chronos::bench
