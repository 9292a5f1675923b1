-- A stored document that no longer reads as a record (stored before the schema's shape check, or
-- damaged) is listed for supervisors as damaged, with the reason, instead of being left out of the
-- queue or failing it. NULL: the record reads.
ALTER TABLE record_index ADD COLUMN damage TEXT;
