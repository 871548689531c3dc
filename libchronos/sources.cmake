# libchronos's sources in two groups. The pure parts know nothing of CAF
# (tests/fuzz builds them alone, with clang and libFuzzer); the actor parts
# are the CAF protocol, the chronos actor and the client.
set(CHRONOS_PURE_SOURCES
  src/atomic_file.cpp
  src/canonical_json.cpp
  src/canonical_state_reader.cpp
  src/change.cpp
  src/crc32.cpp
  src/duration.cpp
  src/errc.cpp
  src/expiring_store.cpp
  src/group_commit.cpp
  src/journal.cpp
  src/log.cpp
  src/mapped_file.cpp
  src/misfire.cpp
  src/name_pool.cpp
  src/namespaces.cpp
  src/page_vector.cpp
  src/peer_timeout.cpp
  src/persistence.cpp
  src/server_state.cpp
  src/state_checksum.cpp
  src/state_file.cpp
  src/state_reader.cpp
  src/timer_table.cpp
  src/timeout_json.cpp
  src/token.cpp
  src/token_list.cpp
  src/utf8.cpp
)
set(CHRONOS_ACTOR_SOURCES
  src/bounded_multiplexer.cpp
  src/client.cpp
  src/host.cpp
  src/local_timers.cpp
  src/messages.cpp
  src/name_directory.cpp
  src/scheduler_tuning.cpp
  src/server.cpp
  src/server_delivery.cpp
  src/server_gate.cpp
  src/server_journal.cpp
  src/transport.cpp
)
list(TRANSFORM CHRONOS_PURE_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
list(TRANSFORM CHRONOS_ACTOR_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
set(CHRONOS_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/include)
