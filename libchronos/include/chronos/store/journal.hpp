#pragma once

// The journal: an append-only log of every change since the last snapshot, so
// that a crash (kill -9, power loss) loses nothing that was acknowledged.
//
// Files. Next to the state file `DIR/NAME.json` live `DIR/NAME.journal.G`, one per
// generation G. A snapshot records the first generation that follows it; start-up
// replays every journal of that generation or later, in order. Compaction opens
// generation G+1 for new changes, writes a snapshot that says "G+1" (atomically,
// see atomic_file.hpp), then deletes older journals: a crash at any step leaves a
// snapshot and the journals that complete it.
//
// Format. Text, one record a line, readable with ordinary tools:
//
//   CRC32 {"format":"chronos-journal","version":2,"generation":7}
//   CRC32 {"op":"schedule","t":{"deadline_ms":...,"interval_ms":0,"name":"w","payload":"","token":"..."}}
//   CRC32 {"op":"cancel","token":"..."}
//   CRC32 {"records":2}
//
// CRC32 is eight lowercase hex digits, the CRC-32 of the JSON text after the
// space. The ops are those of change.hpp. A torn last record (a crash in the
// middle of a write) is dropped; a bad record with good records after it is
// corruption, reported with the file and the byte offset. Each write ends
// with a count of the records in the file so far (version 2): a record line
// deleted from the middle, which leaves every remaining line intact, makes
// the next count disagree and is reported too. Version 1 files, without
// counts, are read as they are.
//
// Reserved space. The writer grows a file in steps of `reserve_step` bytes of
// newlines and writes records over them: a record then changes no file size,
// so fdatasync writes data alone and skips a metadata commit of the file
// system's journal. The newlines after the last record are that unused space;
// they read as empty lines, and replay ignores them (and NUL bytes: a step
// allocated but not yet filled when the process died).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/base/outcome.hpp"
#include "chronos/store/change_log.hpp"
#include "chronos/table/change.hpp"

namespace chronos {

/// The journal of generation `gen` for the state file `state_path`.
std::string journal_path(const std::string& state_path, std::uint64_t gen);

/// The generations of the journals that exist for `state_path`, ascending.
outcome<std::vector<std::uint64_t>> list_journals(const std::string& state_path);

/// Appends the record line of `c` to `out`.
void append_record(std::string& out, const change& c);

/// What reading a journal finds besides its changes.
struct journal_extent {
  std::uint64_t generation = 0;
  /// Records read, the header not counted.
  std::uint64_t records = 0;
  /// Where the records end: the size of the file without a torn tail.
  std::uint64_t valid_bytes = 0;
  /// Bytes of a torn last record that were dropped (0 if none).
  std::uint64_t torn_bytes = 0;
  /// Newlines (or NULs) after them: space the writer reserved and has not used yet.
  std::uint64_t reserved_bytes = 0;
  /// The file holds no complete line: it was created, but its header never
  /// reached the disk (the disk was full, or the process died right then).
  /// Such a file holds no record; only the newest journal may be one.
  bool never_written = false;
};

/// Takes each change as it is read; an error stops the reading. Replay
/// applies changes one at a time, so its memory peak is one record, not
/// the whole journal decoded.
using change_visitor = std::function<status(change&&)>;

/// Reads a whole journal, handing its changes to `each` in order; `name` is
/// used in error messages. Changes before a damaged record have been handed
/// over when the error comes back.
outcome<journal_extent> decode_journal(std::string_view text, const std::string& name,
                                       const change_visitor& each);

outcome<journal_extent> read_journal(const std::string& path, const change_visitor& each);

/// A journal's changes collected, for tools and tests that look at them all.
struct journal_contents : journal_extent {
  std::vector<change> changes;
};

outcome<journal_contents> decode_journal(std::string_view text, const std::string& name);

outcome<journal_contents> read_journal(const std::string& path);

/// Appends to one journal file: the file store's change log. Not
/// thread-safe; one owner.
class journal_writer final : public change_log {
public:
  /// Bytes of newlines added to the file at a time (see "Reserved space").
  static constexpr std::uint64_t reserve_step = 1u << 20;

  /// Creates (or truncates) the file and writes its header durably. Space is
  /// reserved by the first append, so creating a journal stays cheap. A
  /// failure removes the file.
  static outcome<journal_writer> create(const std::string& path, std::uint64_t generation);

  journal_writer(journal_writer&& other) noexcept;
  journal_writer& operator=(journal_writer&& other) noexcept;
  journal_writer(const journal_writer&) = delete;
  journal_writer& operator=(const journal_writer&) = delete;
  ~journal_writer() override;

  /// Appends the record line of `c` (`append_record`).
  void encode(std::string& batch, const change& c) const override { append_record(batch, c); }

  /// Writes `bytes` (whole record lines) after the last record, and the count
  /// of records so far after them, into reserved space when there is room for
  /// it (a disk too full to reserve more is written to all the same). On
  /// failure the file is cut back to its records, so no partial record stays
  /// behind.
  status append(std::string_view bytes) override;

  /// fdatasync: everything appended so far is on disk when this returns.
  status sync() override;

  /// Bytes of records (the header included); the file may be longer.
  std::uint64_t size() const override { return size_; }
  std::uint64_t generation() const { return generation_; }
  const std::string& path() const { return path_; }

private:
  journal_writer(int fd, std::string path, std::uint64_t generation)
    : fd_(fd), path_(std::move(path)), generation_(generation) {}

  status write_at_end(std::string_view bytes);
  void reserve(std::uint64_t bytes);

  int fd_ = -1;
  std::string path_;
  std::uint64_t generation_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t file_size_ = 0;
  std::uint64_t records_ = 0;
};

} // namespace chronos
