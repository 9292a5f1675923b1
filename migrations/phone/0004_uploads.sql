-- Photo originals being uploaded over tus: the server's upload URL per photo (and the server it
-- belongs to), so an interrupted upload resumes from the server's offset instead of starting over.
CREATE TABLE photo_uploads (
    sha256        TEXT PRIMARY KEY REFERENCES photos(sha256),
    base_url      TEXT NOT NULL,
    url           TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
