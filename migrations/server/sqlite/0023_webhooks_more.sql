-- Outgoing webhooks, part two (issue 23; docs/webhooks.md): the robots' rate limit, the daily
-- digest's time, replays of dead messages, and what the event tasks remember so that each
-- transition is announced once (record events, wage arrears, digests). Times are epoch ms.

-- WeCom and DingTalk robots take 20 messages a minute: the earliest time the next message to this
-- endpoint may start (set far ahead while one is in flight, to its end + 3 s after it).
ALTER TABLE webhook_endpoints ADD COLUMN next_slot_at_ms BIGINT;
-- The daily digest's local time, 'HH:MM' in the project's time zone; NULL: the server's default.
ALTER TABLE webhook_endpoints ADD COLUMN digest_time TEXT;

-- A dead message an admin sent again: pending with its attempts reset; who and when, kept.
ALTER TABLE webhook_outbox ADD COLUMN replays BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_outbox ADD COLUMN replayed_by TEXT;
ALTER TABLE webhook_outbox ADD COLUMN replayed_at_ms BIGINT;

-- Per record: the state its events were last derived from (webhooks/records.rs). A record index
-- row whose doc_version differs from this one's is looked at again; the row is written in the
-- transaction that enqueues the record's events, conditionally on the version it was read at.
CREATE TABLE webhook_record_state (
    record_id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    doc_version BIGINT NOT NULL,
    -- 1 once record.submitted was enqueued (or the record predates this migration).
    submitted BIGINT NOT NULL,
    -- 1 while the record holds unresolved concurrent edits (record.conflict on 0 -> 1).
    conflicted BIGINT NOT NULL,
    -- The approval decision record.changed_since_approval was announced for (once per approval).
    changed_after TEXT
);
CREATE INDEX webhook_record_state_project ON webhook_record_state (project_id);

-- What is known today is not news: records indexed (and documents not yet indexed) are taken
-- as announced, with their conflicts and their changes since approval.
INSERT INTO webhook_record_state (record_id, project_id, doc_version, submitted, conflicted, changed_after)
SELECT r.record_id, r.project_id, r.doc_version, 1, CASE WHEN r.conflict_count > 0 THEN 1 ELSE 0 END,
       (SELECT a.id FROM approval_decisions a WHERE a.record_id = r.record_id AND a.status = 'approved'
          AND a.heads <> r.heads AND a.record_seq = (SELECT MAX(b.record_seq) FROM approval_decisions b
          WHERE b.record_id = r.record_id))
FROM record_index r;
INSERT INTO webhook_record_state (record_id, project_id, doc_version, submitted, conflicted, changed_after)
SELECT d.id, d.project_id, -2, 1, 0, NULL FROM documents d
WHERE d.kind IN ('labour_sheet', 'expense', 'progress_report', 'wage_advance', 'day_log')
  AND NOT EXISTS (SELECT 1 FROM record_index r WHERE r.record_id = d.id);

-- Wage arrears flagged per project, month (YYYY-MM) and crew ('' for workers of no crew): a row
-- while the crew's month is overdue with wages outstanding; deleted when it no longer is, so a
-- later arrears of the same month and crew is announced again.
CREATE TABLE webhook_arrears_flags (
    project_id TEXT NOT NULL,
    month TEXT NOT NULL,
    crew TEXT NOT NULL,
    flagged_at_ms BIGINT NOT NULL,
    PRIMARY KEY (project_id, month, crew)
);

-- The daily digest enqueued for an endpoint and local day (YYYY-MM-DD): once, across restarts
-- and servers (written in the transaction that enqueues it).
CREATE TABLE webhook_digests (
    endpoint_id TEXT NOT NULL,
    day TEXT NOT NULL,
    outbox_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, day)
);
