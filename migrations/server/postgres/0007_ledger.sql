-- Approvals and ledgers (docs/approvals-and-ledgers.md).
--
-- record_index: one row per foreman record, refreshed from the documents (a cache for listing and
-- filtering pending records; rebuilt from the documents at any time, so it is the one table here
-- that is updated in place).
CREATE TABLE record_index (
    record_id      TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    site_id        TEXT NOT NULL,
    author         TEXT NOT NULL,
    record_date    TEXT NOT NULL,
    heads          TEXT NOT NULL,
    doc_version    BIGINT NOT NULL,
    conflict_count BIGINT NOT NULL,
    voided         BIGINT NOT NULL,
    indexed_at_ms  BIGINT NOT NULL
);
CREATE INDEX record_index_by_project ON record_index (project_id, record_date);

-- Every decision on an exact version of a record. Append-only. record_seq numbers the decisions of
-- one record 1, 2, 3…: two supervisors deciding at once cannot both take the next number, so
-- decisions on one record are serialised on both backends without locks.
CREATE TABLE approval_decisions (
    id              TEXT PRIMARY KEY,
    record_id       TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    record_seq      BIGINT NOT NULL,
    record_kind     TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('approved', 'rejected')),
    heads           TEXT NOT NULL,
    comment         TEXT NOT NULL,
    decided_by      TEXT NOT NULL,
    decided_by_name TEXT NOT NULL,
    decided_by_role TEXT NOT NULL,
    request_id      TEXT,
    replaces        TEXT REFERENCES approval_decisions (id),
    decided_at_ms   BIGINT NOT NULL,
    UNIQUE (record_id, record_seq),
    UNIQUE (decided_by, request_id)
);
-- Idempotency keys: the decision each client request (device, request id) was answered with, also
-- when the answer was an earlier decision (approving the standing version again), so a retried
-- request keeps getting that answer whatever was decided since. Append-only.
CREATE TABLE approval_requests (
    decided_by    TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    decision_id   TEXT NOT NULL REFERENCES approval_decisions (id),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (decided_by, request_id)
);

CREATE INDEX approval_decisions_by_heads ON approval_decisions (record_id, heads);
CREATE INDEX approval_decisions_by_project ON approval_decisions (project_id, decided_at_ms);

-- Cost and schedule postings. Append-only: a replaced approval is undone by reversal rows.
-- Amounts are integers in the currency's minor unit (fen for CNY); quantities are integers in
-- millionths, so sums are exact on both backends.
CREATE TABLE ledger_postings (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id        TEXT NOT NULL REFERENCES approval_decisions (id),
    entry              TEXT NOT NULL CHECK (entry IN ('posting', 'reversal')),
    reverses           BIGINT REFERENCES ledger_postings (id),
    ledger             TEXT NOT NULL CHECK (ledger IN ('cost', 'schedule')),
    project_id         TEXT NOT NULL,
    site_id            TEXT NOT NULL,
    record_id          TEXT NOT NULL,
    record_kind        TEXT NOT NULL,
    heads              TEXT NOT NULL,
    line_id            TEXT NOT NULL,
    work_date          TEXT NOT NULL,
    author             TEXT NOT NULL,
    cost_code          TEXT,
    activity           TEXT,
    trade              TEXT,
    crew               TEXT,
    category           TEXT,
    currency           TEXT,
    amount_minor       BIGINT NOT NULL,
    headcount          BIGINT NOT NULL,
    person_hours_micro BIGINT NOT NULL,
    person_days_micro  BIGINT NOT NULL,
    percent_micro      BIGINT,
    quantity_micro     BIGINT,
    unit               TEXT,
    approved_by        TEXT NOT NULL,
    posted_at_ms       BIGINT NOT NULL
);
CREATE INDEX ledger_postings_by_record ON ledger_postings (record_id, id);
CREATE INDEX ledger_postings_by_decision ON ledger_postings (decision_id);
CREATE INDEX ledger_postings_by_date ON ledger_postings (project_id, work_date);
CREATE INDEX ledger_postings_by_cost_code ON ledger_postings (project_id, cost_code, work_date);
CREATE INDEX ledger_postings_by_activity ON ledger_postings (project_id, activity, work_date);
CREATE INDEX ledger_postings_by_site ON ledger_postings (project_id, site_id, work_date);
CREATE INDEX ledger_postings_by_trade ON ledger_postings (project_id, trade, crew, work_date);

CREATE FUNCTION fieldledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER approval_decisions_append_only BEFORE UPDATE OR DELETE ON approval_decisions
    FOR EACH ROW EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER approval_decisions_no_truncate BEFORE TRUNCATE ON approval_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER approval_requests_append_only BEFORE UPDATE OR DELETE ON approval_requests
    FOR EACH ROW EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION fieldledger_append_only();
