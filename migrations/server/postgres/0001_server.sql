-- The sync server's store (PostgreSQL, the production backend). Mirrors ../sqlite/0001_server.sql.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
