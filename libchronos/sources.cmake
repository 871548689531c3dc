# libchronos's sources, by layer (docs/design.md has the map). Each layer
# uses only those listed before it. The pure parts know nothing of CAF
# (tests/fuzz builds them alone, with clang and libFuzzer); the actor parts
# are the CAF protocol, the chronos actor, the network and the client.
set(CHRONOS_BASE_SOURCES
  src/base/crc32.cpp
  src/base/cron.cpp
  src/base/duration.cpp
  src/base/errc.cpp
  src/base/log.cpp
  src/base/manual_clock.cpp
  src/base/utf8.cpp
)
set(CHRONOS_TABLE_SOURCES
  src/table/change.cpp
  src/table/misfire.cpp
  src/table/rule_pool.cpp
  src/table/name_pool.cpp
  src/table/page_vector.cpp
  src/table/timer_table.cpp
  src/table/token.cpp
  src/table/token_list.cpp
)
set(CHRONOS_STORE_SOURCES
  src/store/atomic_file.cpp
  src/store/canonical_json.cpp
  src/store/canonical_state_reader.cpp
  src/store/durability.cpp
  src/store/expiring_store.cpp
  src/store/journal.cpp
  src/store/mapped_file.cpp
  src/store/persistence.cpp
  src/store/snapshot.cpp
  src/store/state_checksum.cpp
  src/store/state_file.cpp
  src/store/state_reader.cpp
  src/store/timeout_json.cpp
)
# The server's pure half: its state machine and how it stages changes.
set(CHRONOS_SERVER_PURE_SOURCES
  src/server/group_commit.cpp
  src/server/namespaces.cpp
  src/server/server_state.cpp
)
set(CHRONOS_PURE_SOURCES
  ${CHRONOS_BASE_SOURCES}
  ${CHRONOS_TABLE_SOURCES}
  ${CHRONOS_STORE_SOURCES}
  ${CHRONOS_SERVER_PURE_SOURCES}
  src/net/peer_timeout.cpp
)
# The PostgreSQL store: pure too, but it needs libpq, which the fuzz
# build leaves out.
set(CHRONOS_POSTGRES_SOURCES
  src/store/postgres/pg_connection.cpp
  src/store/postgres_store.cpp
  src/server/lease_keeper.cpp
)
set(CHRONOS_ACTOR_SOURCES
  src/server/messages.cpp
  src/server/name_directory.cpp
  src/server/server.cpp
  src/server/server_delivery.cpp
  src/server/server_gate.cpp
  src/server/server_journal.cpp
  src/server/server_leadership.cpp
  src/server/server_wakeup.cpp
  src/net/bounded_multiplexer.cpp
  src/net/host.cpp
  src/net/scheduler_tuning.cpp
  src/net/tcp_probe.cpp
  src/net/transport.cpp
  src/client/client.cpp
  src/client/local_timers.cpp
)
list(TRANSFORM CHRONOS_PURE_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
list(TRANSFORM CHRONOS_POSTGRES_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
list(TRANSFORM CHRONOS_ACTOR_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
set(CHRONOS_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/include)
set(CHRONOS_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/src)
