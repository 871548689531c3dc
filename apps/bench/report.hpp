#pragma once

// Figures a workload measured, printed as a table or as one JSON object a line:
// {"workload": "w1", "system": "chronos", "metric": "schedules_per_s", "value": 3.9e6, "unit": "1/s"}

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

class report {
public:
  explicit report(bool as_json) : json_(as_json) {}

  void add(figure f);
  /// The table's closing lines: chronos against the baseline, metric by metric.
  void print_ratios() const;

private:
  bool json_;
  std::vector<figure> figures_;
};

} // namespace chronos::bench
