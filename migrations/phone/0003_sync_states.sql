-- The Automerge sync state of each document with the server (State::encode: shared heads only).
CREATE TABLE sync_states (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id),
    state  BLOB NOT NULL
);
