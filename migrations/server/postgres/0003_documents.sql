-- Automerge documents held by the server: a compacted snapshot plus changes appended since, and a
-- version bumped on every write (so several server processes can detect a concurrent writer).
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    snapshot      BYTEA NOT NULL,
    version       BIGINT NOT NULL,
    pending_count BIGINT NOT NULL DEFAULT 0,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX documents_by_project ON documents (project_id, kind);

CREATE TABLE document_changes (
    seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents (id),
    data   BYTEA NOT NULL
);
CREATE INDEX document_changes_by_doc ON document_changes (doc_id, seq);
