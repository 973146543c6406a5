import type { Pool } from 'pg';

/**
 * Versioned schema migrations for the PostgreSQL event store, applied at start-up by
 * `PostgresEventStore.open` (and so by the API and the projector). Each runs once, in order,
 * inside one transaction, and is recorded in `<schema>.schema_migrations`. Never edit a
 * migration that has shipped: add the next one.
 *
 * Every table lives in its own schema (default `attest`), so the read models that share the
 * database in PostgreSQL mode (ADR 0005) can never collide with the log's tables.
 */
export interface PostgresMigration {
  version: number;
  name: string;
  up: (names: SchemaNames) => string;
}

export interface SchemaNames {
  /** Quoted schema identifier, e.g. `"attest"`. */
  schema: string;
  /** Channel notified (on commit) after every group commit that wrote something. */
  channel: string;
  /** Key of the transaction-scoped advisory lock that serialises writers (ADR 0005). */
  writerLockKey: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** Derives identifiers from a schema name; refuses anything that would need escaping. */
export const schemaNames = (schema: string): SchemaNames => {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME}`);
  // A stable 31-bit key per schema, so two event stores in one database do not serialise each other.
  let hash = 0x1a77e57;
  for (const char of schema) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return { schema: `"${schema}"`, channel: `${schema}_appended`, writerLockKey: hash & 0x7fffffff };
};

export const POSTGRES_EVENT_STORE_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'streams and events',
    up: ({ schema }) => `
      -- One row per stream: its last revision. The append function checks expected revisions
      -- against it; UNIQUE (stream_id, stream_revision) on events is the last line of defence.
      CREATE TABLE ${schema}.streams (
        stream_id text   PRIMARY KEY,
        revision  bigint NOT NULL CHECK (revision >= 0)
      );
      CREATE TABLE ${schema}.events (
        position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id        text     NOT NULL,
        stream_id       text     NOT NULL,
        stream_revision bigint   NOT NULL CHECK (stream_revision >= 0),
        type            text     NOT NULL,
        schema_version  integer  NOT NULL,
        -- json (not jsonb) keeps the exact text that was written: key order and all, so a
        -- hash of the stored form is the same on every store.
        data            json     NOT NULL,
        pii             json,
        recorded_at     text     NOT NULL,
        correlation_id  text     NOT NULL,
        causation_id    text,
        actor           text     NOT NULL,
        CONSTRAINT events_event_id_unique UNIQUE (event_id),
        CONSTRAINT events_stream_revision_unique UNIQUE (stream_id, stream_revision)
      );
    `,
  },
  {
    version: 2,
    name: 'append function',
    up: ({ schema, channel, writerLockKey }) => `
      CREATE FUNCTION ${schema}.revision_matches(expected text, actual bigint) RETURNS boolean
        LANGUAGE sql IMMUTABLE AS $$
          SELECT CASE expected
            WHEN 'any' THEN true
            WHEN 'noStream' THEN actual = -1
            WHEN 'streamExists' THEN actual >= 0
            ELSE actual = expected::bigint
          END
        $$;

      -- One call = one group commit: a JSON array of appends, each an array of
      -- {s: stream id, x: expected revision, e: [events]}. Each append runs in its own
      -- subtransaction (BEGIN … EXCEPTION), so a conflict undoes that append only; the result
      -- array says, per append, what was written or why not. One round trip for the whole group.
      CREATE FUNCTION ${schema}.append_batch(batch json) RETURNS json LANGUAGE plpgsql AS $fn$
      DECLARE
        one_append json;
        one_stream json;
        results json[] := '{}';
        stream_results json[];
        sid text;
        expected text;
        actual bigint;
        found_stream text;
        found_revision bigint;
        n integer;
        replays integer;
        stream_count integer;
        positions json;
        offending text;
        written boolean := false;
        err_constraint text;
        err_message text;
        err_detail text;
        err_hint text;
      BEGIN
        -- Writers are serialised (ADR 0005): positions become visible in the order they were
        -- taken, so a reader can never pass a position whose transaction has yet to commit.
        -- The lock is released after the commit is visible to other sessions.
        PERFORM pg_advisory_xact_lock(${writerLockKey});
        FOR one_append IN SELECT value FROM json_array_elements(batch) LOOP
          BEGIN
            stream_results := '{}';
            replays := 0;
            stream_count := 0;
            FOR one_stream IN SELECT value FROM json_array_elements(one_append) LOOP
              stream_count := stream_count + 1;
              sid := one_stream->>'s';
              expected := one_stream->>'x';
              n := json_array_length(one_stream->'e');

              -- A retry: the first event id is stored already. It is a no-op only if every
              -- event sits in this stream, consecutively, where the expected revision says.
              SELECT e.stream_id, e.stream_revision INTO found_stream, found_revision
                FROM ${schema}.events e WHERE e.event_id = one_stream->'e'->0->>'id';
              IF FOUND THEN
                IF found_stream <> sid OR NOT ${schema}.revision_matches(expected, found_revision - 1) THEN
                  RAISE EXCEPTION USING ERRCODE = 'AT002', MESSAGE = one_stream->'e'->0->>'id';
                END IF;
                SELECT x.ev->>'id' INTO offending
                  FROM json_array_elements(one_stream->'e') WITH ORDINALITY AS x(ev, i)
                  LEFT JOIN ${schema}.events e ON e.event_id = x.ev->>'id'
                  WHERE e.event_id IS NULL OR e.stream_id <> sid OR e.stream_revision <> found_revision + x.i - 1
                  ORDER BY x.i LIMIT 1;
                IF FOUND THEN
                  RAISE EXCEPTION USING ERRCODE = 'AT002', MESSAGE = offending;
                END IF;
                SELECT json_agg(e.position::text ORDER BY e.stream_revision) INTO positions
                  FROM ${schema}.events e
                  WHERE e.stream_id = sid AND e.stream_revision BETWEEN found_revision AND found_revision + n - 1;
                replays := replays + 1;
                stream_results := stream_results || json_build_object('s', sid, 'r', (found_revision + n - 1)::text, 'p', positions);
                CONTINUE;
              END IF;

              SELECT st.revision INTO actual FROM ${schema}.streams st WHERE st.stream_id = sid;
              IF NOT FOUND THEN
                actual := -1;
              END IF;
              IF NOT ${schema}.revision_matches(expected, actual) THEN
                RAISE EXCEPTION USING ERRCODE = 'AT001', MESSAGE = sid, DETAIL = expected, HINT = actual::text;
              END IF;

              -- An id stored elsewhere (or twice in this append) trips events_event_id_unique,
              -- handled below. json_to_recordset parses each event once; the d/p slices keep
              -- their exact text.
              WITH inserted AS (
                INSERT INTO ${schema}.events
                  (event_id, stream_id, stream_revision, type, schema_version, data, pii, recorded_at, correlation_id, causation_id, actor)
                SELECT x.id, sid, actual + x.i, x.t, x.v, x.d, x.p, x.at, x.co, x.ca, x.ac
                  FROM ROWS FROM (json_to_recordset(one_stream->'e')
                         AS (id text, t text, v integer, d json, p json, at text, co text, ca text, ac text))
                       WITH ORDINALITY AS x(id, t, v, d, p, at, co, ca, ac, i)
                  ORDER BY x.i
                RETURNING position, stream_revision
              )
              SELECT json_agg(inserted.position::text ORDER BY inserted.stream_revision) INTO positions FROM inserted;

              INSERT INTO ${schema}.streams (stream_id, revision) VALUES (sid, actual + n)
                ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision;
              stream_results := stream_results || json_build_object('s', sid, 'r', (actual + n)::text, 'p', positions);
            END LOOP;
            results := results || json_build_object('ok', true, 'replay', replays = stream_count, 'streams', to_json(stream_results));
            written := written OR replays < stream_count;
          EXCEPTION
            WHEN SQLSTATE 'AT001' THEN
              GET STACKED DIAGNOSTICS err_message = MESSAGE_TEXT, err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
              results := results || json_build_object('ok', false, 'error', 'wrong_expected_revision', 's', err_message, 'x', err_detail, 'a', err_hint);
            WHEN SQLSTATE 'AT002' THEN
              GET STACKED DIAGNOSTICS err_message = MESSAGE_TEXT;
              results := results || json_build_object('ok', false, 'error', 'duplicate_event_id', 'id', err_message);
            WHEN unique_violation THEN
              -- An event id already stored (elsewhere: a retry at the same place was found
              -- above), or repeated inside this append.
              GET STACKED DIAGNOSTICS err_constraint = CONSTRAINT_NAME, err_detail = PG_EXCEPTION_DETAIL;
              IF err_constraint = 'events_event_id_unique' THEN
                results := results || json_build_object('ok', false, 'error', 'duplicate_event_id',
                  'id', substring(err_detail FROM 'Key \\(event_id\\)=\\((.*)\\) already exists'));
              ELSE
                results := results || json_build_object('ok', false, 'error', 'sql', 'state', SQLSTATE, 'message', SQLERRM);
              END IF;
            WHEN OTHERS THEN
              results := results || json_build_object('ok', false, 'error', 'sql', 'state', SQLSTATE, 'message', SQLERRM);
          END;
        END LOOP;
        IF written THEN
          -- Delivered to listeners when (and only if) the transaction commits.
          PERFORM pg_notify('${channel}', '');
        END IF;
        RETURN to_json(results);
      END
      $fn$;
    `,
  },
  {
    version: 3,
    name: 'set-based append function',
    up: ({ schema, channel, writerLockKey }) => `
      -- One call = one group commit, set-based (docs/adr/0015): the expected revisions of every
      -- append are checked in order against the streams table and the group's own earlier
      -- appends, then the events of every accepted append go in with ONE insert, and the streams
      -- table is updated with one upsert. No subtransaction: nothing here can fail one append
      -- but not the others except a revision mismatch, which is decided before anything is
      -- written. Everything else — a retry (first event id already stored), an id reused, any
      -- SQL error — is left to append_batch: this function returns NULL before writing when a
      -- first event id is already stored, and otherwise raises, undoing the whole group, which
      -- the caller then sends to append_batch.
      --
      -- heads: one array per append of {s: stream id, x: expected revision, n: event count,
      --   f: first event id}.
      -- events: every event of the group, flat, in append then stream order, each with k (the
      --   1-based index of its stream among all the group's streams, in that order) and o (its
      --   0-based offset in that stream).
      -- Result: one element per append, as append_batch's, except that a stream whose positions
      -- are consecutive in revision order (always, as writers are serialised) reports its first
      -- position and count ({s, r, f, c}) instead of every position ({s, r, p}).
      CREATE FUNCTION ${schema}.append_set(heads json, events json) RETURNS json LANGUAGE plpgsql AS $fn$
      DECLARE
        one_append json;
        one_stream json;
        k integer := 0;
        first_k integer;
        sid text;
        expected text;
        n bigint;
        actual bigint;
        idx integer;
        ok boolean;
        failure json;
        -- Revisions as the group's accepted appends leave them (parallel arrays: a small map).
        map_s text[] := '{}';
        map_r bigint[] := '{}';
        -- The append being checked: its own revision map, and its streams.
        own_s text[];
        own_r bigint[];
        own_k integer[];
        own_sid text[];
        own_base bigint[];
        own_n bigint[];
        -- Accepted streams of the whole group, by k.
        acc_k integer[] := '{}';
        acc_s text[] := '{}';
        acc_base bigint[] := '{}';
        acc_n bigint[] := '{}';
        app_first_k integer[] := '{}';
        app_streams integer[] := '{}';
        app_error json[] := '{}';
        -- Per accepted k: first position, count, and whether positions follow revisions.
        pos_k integer[];
        pos_first bigint[];
        pos_count bigint[];
        pos_consecutive boolean[];
        results json[] := '{}';
        stream_results json[];
        a integer;
        j integer;
        kk integer;
        positions json;
      BEGIN
        PERFORM pg_advisory_xact_lock(${writerLockKey});

        -- A retry, or a first id used elsewhere: append_batch decides which (nothing written yet).
        IF EXISTS (
          SELECT 1 FROM json_array_elements(heads) AS ap(value), json_array_elements(ap.value) AS st(value)
            JOIN ${schema}.events e ON e.event_id = st.value->>'f'
        ) THEN
          RETURN NULL;
        END IF;

        FOR one_append IN SELECT value FROM json_array_elements(heads) LOOP
          first_k := k + 1;
          ok := true;
          failure := NULL;
          own_s := '{}'; own_r := '{}'; own_k := '{}'; own_sid := '{}'; own_base := '{}'; own_n := '{}';
          FOR one_stream IN SELECT value FROM json_array_elements(one_append) LOOP
            k := k + 1;
            CONTINUE WHEN NOT ok;
            sid := one_stream->>'s';
            expected := one_stream->>'x';
            n := (one_stream->>'n')::bigint;
            -- The stream as this append, then the group's earlier appends, then the table left it.
            idx := array_position(own_s, sid);
            IF idx IS NOT NULL THEN
              actual := own_r[idx];
            ELSE
              idx := array_position(map_s, sid);
              IF idx IS NOT NULL THEN
                actual := map_r[idx];
              ELSE
                SELECT st.revision INTO actual FROM ${schema}.streams st WHERE st.stream_id = sid;
                IF NOT FOUND THEN
                  actual := -1;
                END IF;
              END IF;
            END IF;
            IF NOT ${schema}.revision_matches(expected, actual) THEN
              ok := false;
              failure := json_build_object('ok', false, 'error', 'wrong_expected_revision', 's', sid, 'x', expected, 'a', actual::text);
              CONTINUE;
            END IF;
            idx := array_position(own_s, sid);
            IF idx IS NULL THEN
              own_s := own_s || sid;
              own_r := own_r || (actual + n);
            ELSE
              own_r[idx] := actual + n;
            END IF;
            own_k := own_k || k;
            own_sid := own_sid || sid;
            own_base := own_base || (actual + 1);
            own_n := own_n || n;
          END LOOP;
          app_first_k := app_first_k || first_k;
          app_streams := app_streams || (k - first_k + 1);
          app_error := array_append(app_error, failure);
          IF ok THEN
            FOR j IN 1 .. coalesce(array_length(own_s, 1), 0) LOOP
              idx := array_position(map_s, own_s[j]);
              IF idx IS NULL THEN
                map_s := map_s || own_s[j];
                map_r := map_r || own_r[j];
              ELSE
                map_r[idx] := own_r[j];
              END IF;
            END LOOP;
            acc_k := acc_k || own_k;
            acc_s := acc_s || own_sid;
            acc_base := acc_base || own_base;
            acc_n := acc_n || own_n;
          END IF;
        END LOOP;

        IF array_length(acc_k, 1) IS NOT NULL THEN
          -- One insert for the whole group; json_to_recordset parses the events once and keeps the
          -- exact text of d/p. An id stored already or repeated raises: the caller falls back.
          WITH inserted AS (
            INSERT INTO ${schema}.events
              (event_id, stream_id, stream_revision, type, schema_version, data, pii, recorded_at, correlation_id, causation_id, actor)
            SELECT x.id, acc.s, acc.base + x.o, x.t, x.v, x.d, x.p, x.at, x.co, x.ca, x.ac
              FROM ROWS FROM (json_to_recordset(events)
                     AS (k integer, o bigint, id text, t text, v integer, d json, p json, at text, co text, ca text, ac text))
                   WITH ORDINALITY AS x(k, o, id, t, v, d, p, at, co, ca, ac, i)
              JOIN unnest(acc_k, acc_s, acc_base) AS acc(k, s, base) ON acc.k = x.k
              ORDER BY x.i
            RETURNING position, stream_id, stream_revision
          ),
          by_stream AS (
            SELECT acc.k, min(ins.position) AS first, count(*) AS n,
                   min(ins.position - ins.stream_revision) = max(ins.position - ins.stream_revision) AS consecutive
              FROM inserted ins
              JOIN unnest(acc_k, acc_s, acc_base, acc_n) AS acc(k, s, base, n)
                ON ins.stream_id = acc.s AND ins.stream_revision BETWEEN acc.base AND acc.base + acc.n - 1
              GROUP BY acc.k
          )
          SELECT array_agg(b.k ORDER BY b.k), array_agg(b.first ORDER BY b.k), array_agg(b.n ORDER BY b.k), array_agg(b.consecutive ORDER BY b.k)
            INTO pos_k, pos_first, pos_count, pos_consecutive
            FROM by_stream b;

          INSERT INTO ${schema}.streams (stream_id, revision)
            SELECT m.s, m.r FROM unnest(map_s, map_r) AS m(s, r)
            ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision;
          -- Delivered to listeners when (and only if) the transaction commits.
          PERFORM pg_notify('${channel}', '');
        END IF;

        FOR a IN 1 .. coalesce(array_length(app_first_k, 1), 0) LOOP
          IF app_error[a] IS NOT NULL THEN
            results := results || app_error[a];
            CONTINUE;
          END IF;
          stream_results := '{}';
          FOR kk IN app_first_k[a] .. app_first_k[a] + app_streams[a] - 1 LOOP
            idx := array_position(acc_k, kk);
            j := array_position(pos_k, kk);
            IF pos_consecutive[j] THEN
              stream_results := stream_results || json_build_object('s', acc_s[idx], 'r', (acc_base[idx] + acc_n[idx] - 1)::text,
                'f', pos_first[j]::text, 'c', pos_count[j]);
            ELSE
              SELECT json_agg(e.position::text ORDER BY e.stream_revision) INTO positions
                FROM ${schema}.events e
                WHERE e.stream_id = acc_s[idx] AND e.stream_revision BETWEEN acc_base[idx] AND acc_base[idx] + acc_n[idx] - 1;
              stream_results := stream_results || json_build_object('s', acc_s[idx], 'r', (acc_base[idx] + acc_n[idx] - 1)::text, 'p', positions);
            END IF;
          END LOOP;
          results := results || json_build_object('ok', true, 'replay', false, 'streams', to_json(stream_results));
        END LOOP;
        RETURN to_json(results);
      END
      $fn$;
    `,
  },
];

/**
 * Applies the pending migrations. A transaction-scoped advisory lock makes concurrent start-ups
 * (two API processes, the projector) wait for each other instead of racing on DDL.
 */
export const applyPostgresMigrations = async (pool: Pool, names: SchemaNames, migrations = POSTGRES_EVENT_STORE_MIGRATIONS): Promise<number[]> => {
  const client = await pool.connect();
  const ran: number[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [names.writerLockKey ^ 0x5a5a5a5]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${names.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${names.schema}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = await client.query<{ version: number }>(`SELECT version FROM ${names.schema}.schema_migrations`);
    const done = new Set(applied.rows.map((row) => Number(row.version)));
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query(migration.up(names));
      await client.query(`INSERT INTO ${names.schema}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      ran.push(migration.version);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return ran;
};
