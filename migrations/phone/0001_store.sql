-- The phone's store: Automerge documents plus what the app lists and uploads.

-- One row per document: the latest compacted snapshot (a full Automerge save).
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    snapshot      BLOB NOT NULL,
    -- bytes appended in `changes` since the snapshot; compaction folds them in.
    pending_bytes INTEGER NOT NULL DEFAULT 0,
    pending_count INTEGER NOT NULL DEFAULT 0,
    updated_at_ms INTEGER NOT NULL
);

-- Incremental changes (Automerge `save_incremental` chunks) appended after the snapshot, so an edit
-- writes a few hundred bytes, not the whole document.
CREATE TABLE changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    data   BLOB NOT NULL
);
CREATE INDEX changes_by_doc ON changes(doc_id, seq);

-- What lists and filters read, derived from each record on every write (never the source of truth).
CREATE TABLE records (
    id             TEXT PRIMARY KEY REFERENCES documents(id),
    kind           TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    site_id        TEXT NOT NULL,
    record_date    TEXT NOT NULL,
    author         TEXT NOT NULL,
    -- trades of a sheet, category of an expense, activity of a progress report
    subject        TEXT NOT NULL,
    headcount      INTEGER NOT NULL DEFAULT 0,
    total          TEXT,
    currency       TEXT,
    line_count     INTEGER NOT NULL DEFAULT 0,
    photo_count    INTEGER NOT NULL DEFAULT 0,
    conflict_count INTEGER NOT NULL DEFAULT 0,
    voided         INTEGER NOT NULL DEFAULT 0,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
);
CREATE INDEX records_by_date ON records(project_id, site_id, record_date);
CREATE INDEX records_by_kind ON records(kind, record_date);

-- Photos taken on this phone. The original waits in the media folder until uploaded.
CREATE TABLE photos (
    sha256           TEXT PRIMARY KEY,
    mime             TEXT NOT NULL,
    byte_size        INTEGER NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    captured_at_ms   INTEGER NOT NULL,
    thumbnail_sha256 TEXT NOT NULL,
    added_at_ms      INTEGER NOT NULL,
    uploaded_at_ms   INTEGER
);

CREATE TABLE photo_links (
    sha256    TEXT NOT NULL REFERENCES photos(sha256),
    record_id TEXT NOT NULL REFERENCES documents(id),
    PRIMARY KEY (sha256, record_id)
);

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
