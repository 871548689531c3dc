#include "report.hpp"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

namespace chronos::bench {

void report::add(figure f) {
  if (json_) {
    nlohmann::json line{{"workload", f.workload}, {"system", f.system}, {"metric", f.metric},
                        {"value", f.value},       {"unit", f.unit}};
    if (!f.note.empty())
      line["note"] = f.note;
    std::cout << line.dump() << std::endl;
  } else {
    std::printf("%-8s %-17s %-18s %14.6g %-5s %s\n", f.workload.c_str(), f.system.c_str(),
                f.metric.c_str(), f.value, f.unit.c_str(), f.note.c_str());
    std::fflush(stdout);
  }
  figures_.push_back(std::move(f));
}

void report::print_ratios() const {
  if (json_)
    return;
  for (const auto& a : figures_) {
    if (a.system != "chronos")
      continue;
    for (const auto& b : figures_) {
      if (b.system == "chronos" || b.metric != a.metric || b.note != a.note || b.value == 0)
        continue;
      std::printf("%-8s chronos / %s %s: %.2fx\n", a.workload.c_str(), b.system.c_str(),
                  a.metric.c_str(), a.value / b.value);
    }
  }
}

} // namespace chronos::bench
