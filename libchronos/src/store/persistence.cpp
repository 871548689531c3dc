#include "chronos/store/persistence.hpp"

#include <cstdio>
#include <filesystem>

#include "chronos/base/log.hpp"

namespace chronos {

outcome<loaded> load(const std::string& state_path, replayable& into,
                     std::optional<std::uint64_t> last) {
  auto snapshot_generation = load_state(state_path, into);
  if (!snapshot_generation)
    return snapshot_generation.error();
  const std::uint64_t first = *snapshot_generation;
  loaded out{first, 0, 0, {}};
  auto gens = list_journals(state_path);
  if (!gens)
    return gens.error();
  for (auto gen : *gens) {
    if (gen < first)
      continue; // made obsolete by the snapshot; removed by the next checkpoint
    if (last && gen > *last)
      break;
    const auto path = journal_path(state_path, gen);
    auto extent = read_journal(path, [&](change&& c) { return into.apply(std::move(c)); });
    if (!extent)
      return extent.error();
    if (extent->never_written) {
      if (gen != gens->back())
        return fail(errc::storage_failure, "journal '" + path
                                             + "' holds no header, yet newer journals follow it");
      out.warnings.push_back("journal '" + path
                             + "' was never written (no header: a start that failed, or a "
                               "crash right after it was created); it holds nothing");
      break;
    }
    if (extent->torn_bytes > 0)
      out.warnings.push_back("journal '" + path + "': dropped a torn last record ("
                         + std::to_string(extent->torn_bytes) + " bytes at offset "
                         + std::to_string(extent->valid_bytes) + ")");
    out.replayed += extent->records;
    out.torn_bytes += extent->torn_bytes;
    out.next_generation = gen + 1;
  }
  return out;
}

outcome<std::string> resolve_state_path(const std::string& state_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto link = fs::symlink_status(state_path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return fail(errc::storage_failure, "cannot read '" + state_path + "': " + ec.message());
  if (!fs::is_symlink(link))
    return state_path;
  const auto target = fs::read_symlink(state_path, ec);
  const auto resolved = fs::canonical(state_path, ec);
  if (ec)
    return fail(errc::storage_failure,
                "state file '" + state_path + "' is a symbolic link to '" + target.string()
                  + "', which cannot be reached (" + ec.message()
                  + "): is its volume mounted? chronosd will not replace the link");
  return resolved.string();
}

outcome<recovery> recover(const std::string& state_path, replayable& into, durability mode,
                          start_snapshot when) {
  auto read = load(state_path, into);
  if (!read)
    return read.error();
  const std::uint64_t next = read->next_generation;
  for (const auto& line : read->warnings)
    log_warning(line);
  recovery out{nullptr, next, read->replayed, read->torn_bytes};
  // Everything is read: now it is safe to write. A state file that already
  // holds everything (nothing replayed, nothing torn) is not written again:
  // at a million timeouts that saves half a second of start-up.
  const bool replayed = read->replayed > 0 || read->torn_bytes > 0;
  const bool first_run = !std::filesystem::exists(state_path);
  const bool current = !replayed && !first_run;
  if (first_run && !replayed)
    log_info("no state file at " + state_path + ": starting empty");
  out.snapshot_stale = replayed && when == start_snapshot::later && mode != durability::shutdown;
  if (!current && !out.snapshot_stale) {
    const auto now = floor_ms(std::chrono::system_clock::now());
    if (auto ok = checkpoint(state_path, into, now, next); !ok)
      return ok.error();
  }
  if (mode != durability::shutdown) {
    auto journal = journal_writer::create(journal_path(state_path, next), next);
    if (!journal)
      return journal.error();
    out.log = std::make_shared<journal_writer>(std::move(*journal));
  }
  return out;
}

status checkpoint(const std::string& state_path, const snapshot_source& from, timestamp saved_at,
                  std::uint64_t generation) {
  if (auto ok = save_state(state_path, from, saved_at, generation); !ok)
    return ok;
  auto gens = list_journals(state_path);
  if (!gens)
    return gens.error();
  for (auto gen : *gens)
    if (gen < generation)
      std::remove(journal_path(state_path, gen).c_str());
  return done{};
}

} // namespace chronos
