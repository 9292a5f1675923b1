-- Issue 25: what a device has not seen, from a per-project change sequence (docs/sync-protocol.md,
-- "Per request, on the server"). Every document write (insert, append, compaction, by whatever
-- statement) takes its project's next number in the same transaction (the trigger below), so a
-- sync lists only the documents changed since the device's cursor instead of probing every
-- document of the project.
ALTER TABLE documents ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;

-- Existing documents, numbered per project in the order they were last written.
UPDATE documents SET change_seq = r.n
FROM (SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY updated_at_ms, id) AS n FROM documents) AS r
WHERE r.id = documents.id;

CREATE INDEX documents_by_change ON documents (project_id, change_seq);

-- Per project, the last number taken. Its row is locked by the transaction that takes a number
-- until that transaction ends, so no number becomes visible while a smaller one of the same
-- project is still uncommitted (a device's cursor never passes a document still being written).
-- Writers of several projects lock these rows in project order first (server/src/docstore.rs).
CREATE TABLE project_change_seq (
    project_id TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL
);
INSERT INTO project_change_seq (project_id, seq) SELECT project_id, MAX(change_seq) FROM documents GROUP BY project_id;

CREATE FUNCTION fieldledger_document_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_change_seq AS p (project_id, seq) VALUES (NEW.project_id, 1)
    ON CONFLICT (project_id) DO UPDATE SET seq = p.seq + 1
    RETURNING p.seq INTO NEW.change_seq;
    RETURN NEW;
END;
$$;
CREATE TRIGGER documents_change_seq BEFORE INSERT OR UPDATE OF version ON documents
    FOR EACH ROW EXECUTE FUNCTION fieldledger_document_change_seq();

-- Per device: the project's change sequence up to which every document was handled (only later
-- ones are listed as unseen; 0 lists all), and what its last answer assumed delivered (an opaque
-- blob of the sync session's, to take back if that answer was lost).
ALTER TABLE devices ADD COLUMN sync_cursor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN unconfirmed BYTEA;
