-- Appending a change also bumps its document's counters, in the same statement: one round trip
-- fewer on every edit (the phone's hottest path).
CREATE TRIGGER changes_counted AFTER INSERT ON changes
BEGIN
    UPDATE documents
       SET pending_bytes = pending_bytes + length(NEW.data),
           pending_count = pending_count + 1,
           updated_at_ms = CAST(unixepoch('subsec') * 1000 AS INTEGER)
     WHERE id = NEW.doc_id;
END;
