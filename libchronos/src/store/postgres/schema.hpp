#pragma once

// The SQL of the PostgreSQL store's tables and functions
// (chronos/store/postgres_store.hpp describes them).

namespace chronos::detail::pg_sql {

// Serializes creators: two chronosd starting on an empty database at once.
inline constexpr const char* schema_lock = "SELECT pg_advisory_xact_lock(7372697565336)";

inline constexpr const char* schema_version =
  "SELECT version FROM chronos_schema WHERE to_regclass('chronos_schema') IS NOT NULL";

inline constexpr const char* schema_exists =
  "SELECT to_regclass('chronos_schema') IS NOT NULL";

// The tables are data: created at version 1, then migrated one version at a
// time (`migrations[v - 1]` takes version v to v + 1). The function is code:
// every start installs the one it was built with (`apply_function`), which
// reads the batches of older chronosd too.

// Version 1. A timeout's row: the fields of chronos::timeout, `parked` for
// an occurrence that came due while its name had no actor (a recurring
// timeout can be pending and have a parked occurrence: the key holds both).
inline constexpr const char* create_v1 = R"sql(
CREATE TABLE chronos_schema (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version integer NOT NULL
);
CREATE TABLE chronos_timeouts (
  partition integer NOT NULL,
  token text NOT NULL,
  parked boolean NOT NULL,
  name text NOT NULL,
  deadline_ms bigint NOT NULL,
  interval_ms bigint NOT NULL,
  misfire text NOT NULL,
  payload bytea NOT NULL,
  PRIMARY KEY (partition, token, parked)
);
CREATE TABLE chronos_lease (
  partition integer PRIMARY KEY,
  holder text NOT NULL,
  address text NOT NULL,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  batches bigint NOT NULL
);
INSERT INTO chronos_lease VALUES (0, '', '', 0, '-infinity', 0);
INSERT INTO chronos_schema (version) VALUES (1);
)sql";

inline constexpr const char* migrations[] = {
  // 1 -> 2: idempotency keys ('' for none).
  R"sql(
ALTER TABLE chronos_timeouts ADD COLUMN key text NOT NULL DEFAULT '';
UPDATE chronos_schema SET version = 2;
)sql",
  // 2 -> 3: calendar schedules (NULL for the others).
  R"sql(
ALTER TABLE chronos_timeouts ADD COLUMN cron text, ADD COLUMN tz text;
UPDATE chronos_schema SET version = 3;
)sql",
  // 3 -> 4: jitter (0 for none), the pending occurrence's delay, and a
  // recurring timeout's previous deadline (0 for none).
  R"sql(
ALTER TABLE chronos_timeouts ADD COLUMN jitter_ms bigint NOT NULL DEFAULT 0,
                             ADD COLUMN delay_ms bigint NOT NULL DEFAULT 0,
                             ADD COLUMN prev_ms bigint NOT NULL DEFAULT 0;
UPDATE chronos_schema SET version = 4;
)sql",
};

// One batch of changes, in order, under the lease of epoch e: the fence.
// The UPDATE takes the lease row's lock, so a chronosd taking the lease
// waits for this transaction, and this one, once the lease is taken,
// finds no row of its epoch and fails. A batch of schedules alone (new
// tokens, so in any order) is one INSERT, which costs about half as much a
// row as the loop that applies any other batch change by change.
inline constexpr const char* apply_function = R"sql(
CREATE OR REPLACE FUNCTION chronos_apply(p integer, e bigint, seq bigint, batch jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  c jsonb;
BEGIN
  UPDATE chronos_lease SET batches = seq WHERE partition = p AND epoch = e;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the lease of epoch % (partition %) has been taken over', e, p
      USING ERRCODE = 'CH001';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(batch) AS x(c)
                 WHERE (x.c->>'op') IS DISTINCT FROM 'schedule') THEN
    INSERT INTO chronos_timeouts
      (partition, token, parked, name, deadline_ms, interval_ms, misfire, payload, key, cron, tz,
       jitter_ms, delay_ms, prev_ms)
    SELECT p, x.token, false, x.name, x.deadline_ms, x.interval_ms, x.misfire,
           decode(x.payload, 'hex'), coalesce(x.key, ''), x.cron, x.tz,
           coalesce(x.jitter_ms, 0), coalesce(x.delay_ms, 0), coalesce(x.prev_ms, 0)
    FROM jsonb_to_recordset(batch) AS x(token text, name text, deadline_ms bigint,
                                        interval_ms bigint, misfire text, payload text,
                                        key text, cron text, tz text, jitter_ms bigint,
                                        delay_ms bigint, prev_ms bigint);
    RETURN;
  END IF;
  FOR c IN SELECT x.value FROM jsonb_array_elements(batch) WITH ORDINALITY AS x(value, n)
           ORDER BY x.n LOOP
    CASE c->>'op'
      WHEN 'schedule', 'park' THEN
        INSERT INTO chronos_timeouts AS t
          (partition, token, parked, name, deadline_ms, interval_ms, misfire, payload, key,
           cron, tz, jitter_ms, delay_ms, prev_ms)
        VALUES (p, c->>'token', c->>'op' = 'park', c->>'name', (c->>'deadline_ms')::bigint,
                (c->>'interval_ms')::bigint, c->>'misfire', decode(c->>'payload', 'hex'),
                coalesce(c->>'key', ''), c->>'cron', c->>'tz',
                coalesce((c->>'jitter_ms')::bigint, 0), coalesce((c->>'delay_ms')::bigint, 0),
                coalesce((c->>'prev_ms')::bigint, 0))
        ON CONFLICT (partition, token, parked) DO UPDATE
          SET name = excluded.name, deadline_ms = excluded.deadline_ms,
              interval_ms = excluded.interval_ms, misfire = excluded.misfire,
              payload = excluded.payload, key = excluded.key, cron = excluded.cron,
              tz = excluded.tz, jitter_ms = excluded.jitter_ms, delay_ms = excluded.delay_ms,
              prev_ms = excluded.prev_ms;
      WHEN 'cancel' THEN
        DELETE FROM chronos_timeouts WHERE partition = p AND token = c->>'token';
      WHEN 'fire' THEN
        DELETE FROM chronos_timeouts WHERE partition = p AND token = c->>'token' AND NOT parked;
      WHEN 'deliver' THEN
        DELETE FROM chronos_timeouts WHERE partition = p AND token = c->>'token' AND parked;
      WHEN 'rearm' THEN
        UPDATE chronos_timeouts SET prev_ms = deadline_ms,
                                    deadline_ms = (c->>'deadline_ms')::bigint,
                                    delay_ms = coalesce((c->>'delay_ms')::bigint, 0)
        WHERE partition = p AND token = c->>'token' AND NOT parked;
      WHEN 'reschedule' THEN
        -- The pending timeout moves; else a parked one-shot moves back to pending.
        UPDATE chronos_timeouts SET deadline_ms = (c->>'deadline_ms')::bigint,
                                    delay_ms = coalesce((c->>'delay_ms')::bigint, 0)
        WHERE partition = p AND token = c->>'token' AND NOT parked;
        IF NOT FOUND THEN
          UPDATE chronos_timeouts SET deadline_ms = (c->>'deadline_ms')::bigint,
                                      delay_ms = coalesce((c->>'delay_ms')::bigint, 0),
                                      parked = false
          WHERE partition = p AND token = c->>'token' AND parked;
        END IF;
      ELSE
        RAISE EXCEPTION 'unknown change "%"', c->>'op' USING ERRCODE = 'CH002';
    END CASE;
  END LOOP;
END
$$;
)sql";

// SQLSTATE of chronos_apply's fence.
inline constexpr const char* lease_taken_state = "CH001";

inline constexpr const char* apply = "SELECT chronos_apply($1, $2, $3, $4::jsonb)";

inline constexpr const char* acquire = R"sql(
UPDATE chronos_lease
SET holder = $2, address = $3, epoch = epoch + 1,
    expires_at = clock_timestamp() + $4 * interval '1 millisecond'
WHERE partition = $1 AND expires_at <= clock_timestamp()
RETURNING holder, address, epoch, (extract(epoch from expires_at) * 1000)::bigint)sql";

inline constexpr const char* renew = R"sql(
UPDATE chronos_lease
SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
WHERE partition = $1 AND epoch = $2 AND expires_at > clock_timestamp()
RETURNING holder, address, epoch, (extract(epoch from expires_at) * 1000)::bigint)sql";

inline constexpr const char* lease = R"sql(
SELECT holder, address, epoch,
       CASE WHEN expires_at = '-infinity' THEN 0
            ELSE (extract(epoch from expires_at) * 1000)::bigint END,
       batches,
       CASE WHEN expires_at <= clock_timestamp() THEN 0
            ELSE ceil(extract(epoch from expires_at - clock_timestamp()) * 1000)::bigint
       END AS remaining_ms
FROM chronos_lease WHERE partition = $1)sql";

inline constexpr const char* release = R"sql(
UPDATE chronos_lease SET expires_at = '-infinity'
WHERE partition = $1 AND epoch = $2)sql";

inline constexpr const char* count =
  "SELECT count(*) FROM chronos_timeouts WHERE partition = $1";

// Followed by the partition number (DECLARE takes no parameters).
inline constexpr const char* load_cursor = R"sql(
DECLARE chronos_load NO SCROLL CURSOR FOR
SELECT token, parked, name, deadline_ms, interval_ms, misfire, payload, key, cron, tz,
       jitter_ms, delay_ms, prev_ms
FROM chronos_timeouts WHERE partition = )sql";

inline constexpr const char* load_fetch = "FETCH 20000 FROM chronos_load";

} // namespace chronos::detail::pg_sql
