-- The server this phone is paired with and the projects it holds (issue 20, phone pairing): each
-- project is synced with its own device token. The tokens are secrets kept in this file, so the
-- app keeps the store in app-private storage (Android: Context.getFilesDir(); iOS: Application
-- Support, excluded from backups), never on shared storage.
CREATE TABLE pairing (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    server_url    TEXT NOT NULL,
    handset_id    TEXT NOT NULL,
    person_id     TEXT NOT NULL,
    person_name   TEXT NOT NULL,
    paired_at_ms  INTEGER NOT NULL
);

CREATE TABLE paired_projects (
    project_id    TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    token         TEXT NOT NULL,
    added_at_ms   INTEGER NOT NULL
);
