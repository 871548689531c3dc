#pragma once

#include "options.hpp"
#include "report.hpp"

namespace chronos::bench {

void run_w1(const options& opts, report& out);      // schedule 1M
void run_w2(const options& opts, report& out);      // w1, then cancel them all
void run_w3(const options& opts, report& out);      // fire storm
void run_w3_busy(const options& opts, report& out); // fire storm beside busy processes
void run_w4(const options& opts, report& out);      // steady load, 90% cancelled
void run_restore(const options& opts, report& out); // 1M-timeout state file
void run_remote(const options& opts, report& out);  // schedules over 127.0.0.1
void run_durable(const options& opts, report& out); // acknowledged schedules per mode
void run_compact(const options& opts, report& out); // request latency during a compaction
void run_failover(const options& opts, report& out); // kill -9 of a store's leader to its successor

} // namespace chronos::bench
