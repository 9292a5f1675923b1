-- Each device's Automerge sync state per document (State::encode: the heads both sides share), and
-- the document version the device is known to hold, so a sync only visits documents that changed.
CREATE TABLE sync_states (
    device_id    TEXT NOT NULL REFERENCES devices (id),
    doc_id       TEXT NOT NULL REFERENCES documents (id),
    state        BYTEA NOT NULL,
    seen_version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, doc_id)
);
