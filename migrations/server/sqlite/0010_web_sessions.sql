-- Browser sessions of supervisors and office users (docs/supervisor-screens.md). The cookie holds a
-- random id; only its SHA-256 is stored, like tokens. A session is only as good as the token it was
-- opened with: the lookup joins `tokens`, so revoking the token ends its sessions. Each session has
-- its own CSRF token, sent back in every form that changes state.
CREATE TABLE web_sessions (
    id_sha256     TEXT PRIMARY KEY,
    token_sha256  TEXT NOT NULL REFERENCES tokens (token_sha256),
    csrf_token    TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at_ms);
