-- Sync scopes (issue 25, docs/sync-scopes.md §4-5): the phone drops documents that left its scope
-- and fetches older ones on demand.

-- The device's holder owns the record: created on this phone, or sent by the server as `own`
-- (the person's, from any of their phones). Own records stay (scope::Why::Own). Records from
-- before this migration that never reached the server were made here; the server's own are
-- marked by the next sync that offers them (older ones are nobody's on the server too).
ALTER TABLE records ADD COLUMN own INTEGER NOT NULL DEFAULT 0;
UPDATE records SET own = 1 WHERE id NOT IN (SELECT doc_id FROM sync_states);

-- Documents evicted since the server last answered: sent as `dropped` on the next sync (under
-- the token of `project_id`) and deleted once a response answers that request.
CREATE TABLE scope_dropped (
    doc_id     TEXT PRIMARY KEY,
    project_id TEXT
);

-- Documents fetched on demand (`fetch_record`, `fetch_days`): kept until `until_ms` whatever the
-- scope (a record's pin covers its companions).
CREATE TABLE pins (
    doc_id   TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL
);
