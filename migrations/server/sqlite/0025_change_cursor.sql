-- Issue 25: what a device has not seen, from a per-project change sequence (docs/sync-protocol.md,
-- "Per request, on the server"). Every document write (insert, append, compaction, by whatever
-- statement) takes its project's next number in the same transaction (the triggers below), so a
-- sync lists only the documents changed since the device's cursor instead of probing every
-- document of the project.
ALTER TABLE documents ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;

-- Existing documents, numbered per project in the order they were last written.
UPDATE documents SET change_seq = r.n
FROM (SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY updated_at_ms, id) AS n FROM documents) AS r
WHERE r.id = documents.id;

CREATE INDEX documents_by_change ON documents (project_id, change_seq);

-- Per project, the last number taken.
CREATE TABLE project_change_seq (
    project_id TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL
);
INSERT INTO project_change_seq (project_id, seq) SELECT project_id, MAX(change_seq) FROM documents GROUP BY project_id;

-- SQLite has one writer, so the number taken here is never passed by a later commit. (Changes made
-- by triggers do not count in changes(), which the sync's one-call writes chain on.)
CREATE TRIGGER documents_change_seq_insert AFTER INSERT ON documents
BEGIN
    INSERT INTO project_change_seq (project_id, seq) SELECT NEW.project_id, 1 WHERE 1
    ON CONFLICT (project_id) DO UPDATE SET seq = seq + 1;
    UPDATE documents SET change_seq = (SELECT seq FROM project_change_seq WHERE project_id = NEW.project_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER documents_change_seq_update AFTER UPDATE OF version ON documents
BEGIN
    INSERT INTO project_change_seq (project_id, seq) SELECT NEW.project_id, 1 WHERE 1
    ON CONFLICT (project_id) DO UPDATE SET seq = seq + 1;
    UPDATE documents SET change_seq = (SELECT seq FROM project_change_seq WHERE project_id = NEW.project_id)
    WHERE id = NEW.id;
END;

-- Per device: the project's change sequence up to which every document was handled (only later
-- ones are listed as unseen; 0 lists all), and what its last answer assumed delivered (an opaque
-- blob of the sync session's, to take back if that answer was lost).
ALTER TABLE devices ADD COLUMN sync_cursor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN unconfirmed BLOB;
