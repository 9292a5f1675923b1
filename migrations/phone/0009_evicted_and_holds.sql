-- Sync scopes, the app's side of eviction (issue 25, docs/sync-scopes.md §4).

-- Records the eviction plan dropped (records only; companions go with them), kept after the server
-- has answered the drop so that asking for one says "no longer on this phone: fetch it" rather
-- than "not found". A row is removed when its record is held again; rows older than a year go.
CREATE TABLE evicted (
    doc_id        TEXT PRIMARY KEY,
    project_id    TEXT,
    evicted_at_ms INTEGER NOT NULL
);

-- Records open in the app's editor (`hold_open`): the plan keeps them (and their companions)
-- until released or `until_ms` (a crashed app's hold expires). `kept`: a plan kept the record
-- only because of the hold, so releasing it lets the next quiet sync plan again.
CREATE TABLE editor_holds (
    doc_id   TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL,
    kept     INTEGER NOT NULL DEFAULT 0
);
