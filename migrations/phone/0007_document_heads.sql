-- Each document's current heads beside it (issue 25), so a sync finds the documents that changed
-- since they were last shared by comparing them with the sync states' shared heads, without loading
-- every document: the 32-byte change hashes, sorted bytewise and concatenated. Written in the same
-- transaction as every write of the document. NULL means not known (a store from before this
-- migration, or a write that did not say): the sync loads that document once and fills it in.
ALTER TABLE documents ADD COLUMN heads BLOB;

-- A write that appends a change or replaces the snapshot without setting the heads leaves them
-- unknown rather than stale: stale heads could make a changed document look quiet and never be sent.
DROP TRIGGER changes_counted;
CREATE TRIGGER changes_counted AFTER INSERT ON changes
BEGIN
    UPDATE documents
       SET pending_bytes = pending_bytes + length(NEW.data),
           pending_count = pending_count + 1,
           updated_at_ms = CAST(unixepoch('subsec') * 1000 AS INTEGER),
           heads = NULL
     WHERE id = NEW.doc_id;
END;

CREATE TRIGGER snapshot_heads_unknown AFTER UPDATE OF snapshot ON documents
WHEN NEW.heads IS OLD.heads
BEGIN
    UPDATE documents SET heads = NULL WHERE id = NEW.id;
END;
