-- The sync server's store (SQLite, the embedded default). The sync, approval and ledger tables
-- arrive with their issues; this first migration records what the store is.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
