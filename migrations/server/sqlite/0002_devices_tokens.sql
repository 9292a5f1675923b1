-- Devices (phones, browsers) and the tokens they sign in with. Tokens are stored as their SHA-256,
-- never in clear: a leaked database does not leak working tokens.
CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE tokens (
    token_sha256  TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL REFERENCES devices (id),
    role          TEXT NOT NULL CHECK (role IN ('foreman', 'supervisor', 'admin')),
    project_id    TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
CREATE INDEX tokens_by_device ON tokens (device_id);
