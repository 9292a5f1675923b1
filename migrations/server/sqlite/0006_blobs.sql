-- Photo blobs (originals and thumbnails live in the blob store, keyed by SHA-256), which projects may
-- read each, and resumable tus uploads in progress (their bytes so far in the data folder's uploads/).
CREATE TABLE blobs (
    sha256         TEXT PRIMARY KEY,
    byte_size      BIGINT NOT NULL,
    mime           TEXT NOT NULL,
    width          BIGINT NOT NULL,
    height         BIGINT NOT NULL,
    thumbnail_size BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE blob_projects (
    sha256        TEXT NOT NULL REFERENCES blobs (sha256),
    project_id    TEXT NOT NULL,
    device_id     TEXT NOT NULL REFERENCES devices (id),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (sha256, project_id)
);

CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    sha256          TEXT NOT NULL,
    upload_length   BIGINT NOT NULL,
    upload_offset   BIGINT NOT NULL DEFAULT 0,
    -- the client's Upload-Metadata header, echoed by HEAD as tus requires
    metadata        TEXT NOT NULL,
    filename        TEXT,
    mime            TEXT,
    created_at_ms   BIGINT NOT NULL,
    completed_at_ms BIGINT
);
CREATE INDEX uploads_by_project ON uploads (project_id, sha256);
