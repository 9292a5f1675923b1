-- The approval queue lists records by what a supervisor decides on, without loading documents:
-- each record index row carries its figures (filled from the record when the index is refreshed)
-- and its decision state (refreshed from approval_decisions), so tabs, counts, sorting and paging
-- are index-backed queries over record_index alone.
--
-- currency, amount_minor: the record's total as the ledger would post it (labour sheet: each line
--   rounded once, then summed; expense: its amount), in the currency's minor unit; NULL for a
--   progress report.
-- headcount, worker_days, line_count: a labour sheet's 人次 (sum of line headcounts), 工日 (exact
--   decimal text, as the ledger's person-days) and crew lines; NULL otherwise.
-- submitted_at_ms: when the current version arrived (the document's last write).
-- time_zone: the record's site time zone.
-- refs: the cost codes ("c:<code>") and activities ("a:<id>") the record posts to, one per line,
--   checked against the reference data when the queue is shown (it may change after indexing).
-- problem: why the record would fail approval's checks that do not depend on reference data.
-- decision: 'pending', 'approved' or 'rejected' (of the current version); queue_state is the
--   same but 'voided' for a voided record (one tab each); approved_heads: the standing approval's
--   heads; decided_*: the latest decision on the current version.
ALTER TABLE record_index ADD COLUMN currency TEXT;
ALTER TABLE record_index ADD COLUMN amount_minor BIGINT;
ALTER TABLE record_index ADD COLUMN headcount BIGINT;
ALTER TABLE record_index ADD COLUMN worker_days TEXT;
ALTER TABLE record_index ADD COLUMN line_count BIGINT;
ALTER TABLE record_index ADD COLUMN submitted_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE record_index ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE record_index ADD COLUMN refs TEXT NOT NULL DEFAULT '';
ALTER TABLE record_index ADD COLUMN problem TEXT;
ALTER TABLE record_index ADD COLUMN decision TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE record_index ADD COLUMN queue_state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE record_index ADD COLUMN approved_heads TEXT;
ALTER TABLE record_index ADD COLUMN decided_at_ms BIGINT;
ALTER TABLE record_index ADD COLUMN decided_by_name TEXT;
ALTER TABLE record_index ADD COLUMN decision_comment TEXT;
-- Every existing row is read again from its document at the next refresh.
UPDATE record_index SET doc_version = -1;

-- Per project: decisions at or after this time are looked at again when the index is refreshed
-- (their records' decision state recomputed; the refresh keeps a margin before it).
CREATE TABLE queue_watermarks (
    project_id    TEXT PRIMARY KEY,
    decided_at_ms BIGINT NOT NULL
);

-- One index per sort of each tab (project, tab, sort key; by author also a foreman's records by
-- date), and the authors of a project (the foreman picker reads them by a loose index scan).
CREATE INDEX record_index_queue_date ON record_index (project_id, queue_state, record_date, record_id);
CREATE INDEX record_index_queue_submitted ON record_index (project_id, queue_state, submitted_at_ms, record_id);
CREATE INDEX record_index_queue_amount ON record_index (project_id, queue_state, amount_minor, record_id);
CREATE INDEX record_index_queue_author ON record_index (project_id, queue_state, author, record_date, record_id);
CREATE INDEX record_index_authors ON record_index (project_id, author);
