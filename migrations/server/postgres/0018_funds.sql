-- Issue 21: the funds and wages centre (资金数据中心; docs/funds-and-wages.md). What approved day
-- labour owes each worker, what was advanced on site and paid by the office, the owner's labour-cost
-- allocations, and the project's wage pay day. Amounts are integers in the project currency's minor
-- unit (fen), quantities in millionths, as in ledger_postings.

-- The day of the next month by which a month's wages are due in full (1..=28); NULL: 15.
ALTER TABLE projects ADD COLUMN wage_pay_day BIGINT;

-- Server secrets (one row per name), made at first use: `funds_hmac` keys the hashes of ID and bank
-- card numbers, so a leaked table cannot be searched by brute force over the ID number space.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- The real-name roster (实名制花名册). Master data, edited in place. ID and card numbers are never
-- stored in full: a keyed hash (HMAC-SHA256, hex) to match bank files and refuse duplicates, and the
-- masked form shown everywhere (first 4 and last 4: 3201**********1234).
CREATE TABLE workers (
    project_id    TEXT NOT NULL,
    -- The office's number for the worker (W0001), or one made when a proposed name is confirmed.
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    id_hash       TEXT,
    id_masked     TEXT,
    card_hash     TEXT,
    card_masked   TEXT,
    bank          TEXT,
    phone_masked  TEXT,
    crew          TEXT,
    trade         TEXT,
    -- Decimal text, like trades.day_rate.
    day_rate      TEXT,
    status        TEXT NOT NULL CHECK (status IN ('active', 'left')),
    joined_on     TEXT,
    left_on       TEXT,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE UNIQUE INDEX workers_by_id_hash ON workers (project_id, id_hash);
CREATE INDEX workers_by_card_hash ON workers (project_id, card_hash);
CREATE INDEX workers_by_name ON workers (project_id, name);

-- What approved records owe and advance, written in the decision's own transaction beside
-- ledger_postings and reversed the same way (append-only; a replaced approval's rows are negated).
--   wage:          a labour line's cost, one row per named worker (an equal share of the line, cents
--                  spread so shares sum to the line) and one row for the unnamed rest of the crew
--                  (worker_name NULL);
--   advance:       an approved wage advance (借支) to a worker;
--   vendor:        an approved expense owed to its vendor (payee = vendor);
--   reimbursement: an approved expense paid by the foreman (payee = the record's author).
CREATE TABLE funds_entries (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id        TEXT NOT NULL REFERENCES approval_decisions (id),
    entry              TEXT NOT NULL CHECK (entry IN ('posting', 'reversal')),
    reverses           BIGINT REFERENCES funds_entries (id),
    kind               TEXT NOT NULL CHECK (kind IN ('wage', 'advance', 'vendor', 'reimbursement')),
    project_id         TEXT NOT NULL,
    site_id            TEXT NOT NULL,
    record_id          TEXT NOT NULL,
    line_id            TEXT NOT NULL,
    work_date          TEXT NOT NULL,
    -- First day of work_date's month (YYYY-MM-01).
    month              TEXT NOT NULL,
    crew               TEXT,
    trade              TEXT,
    -- The roster id the record names (NULL: a name only, or the unnamed rest of a crew).
    worker_id          TEXT,
    worker_name        TEXT,
    payee              TEXT,
    currency           TEXT NOT NULL,
    amount_minor       BIGINT NOT NULL,
    headcount          BIGINT NOT NULL,
    person_days_micro  BIGINT NOT NULL,
    person_hours_micro BIGINT NOT NULL,
    posted_at_ms       BIGINT NOT NULL
);
CREATE INDEX funds_entries_by_month ON funds_entries (project_id, month, kind);
CREATE INDEX funds_entries_by_worker ON funds_entries (project_id, worker_id, month);
CREATE INDEX funds_entries_by_decision ON funds_entries (decision_id);

-- funds_entries summed per project, month, kind and row identity, kept in the decision's own
-- transaction (funds::stored), as labour_month_totals is beside ledger_postings: the wage ledger of a
-- month reads one row per worker (and trade) instead of sorting every share of every line (a seeded
-- month of 500 workers: 34,000 entries, 5,000 totals). Absent values are '' (a primary key holds no
-- NULL), read back as absent. Rebuildable from funds_entries.
CREATE TABLE funds_month_totals (
    project_id         TEXT NOT NULL,
    month              TEXT NOT NULL,
    kind               TEXT NOT NULL,
    worker_id          TEXT NOT NULL,
    worker_name        TEXT NOT NULL,
    crew               TEXT NOT NULL,
    trade              TEXT NOT NULL,
    currency           TEXT NOT NULL,
    amount_minor       BIGINT NOT NULL,
    person_days_micro  BIGINT NOT NULL,
    person_hours_micro BIGINT NOT NULL,
    PRIMARY KEY (project_id, month, kind, worker_id, worker_name, crew, trade, currency)
);

-- Bank batch result files imported (代发结果). The same file twice is refused (project, sha256).
CREATE TABLE funds_batches (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    file_sha256    TEXT NOT NULL,
    -- The wage month the batch pays (YYYY-MM-01).
    month          TEXT NOT NULL,
    rows           BIGINT NOT NULL,
    matched        BIGINT NOT NULL,
    total_minor    BIGINT NOT NULL,
    imported_by    TEXT NOT NULL,
    imported_at_ms BIGINT NOT NULL,
    UNIQUE (project_id, file_sha256)
);
-- Rows of a batch that did not become a payment, with the reason, for the office to settle.
CREATE TABLE funds_batch_mismatches (
    batch_id     TEXT NOT NULL REFERENCES funds_batches (id),
    row_no       BIGINT NOT NULL,
    name         TEXT NOT NULL,
    id_masked    TEXT,
    card_masked  TEXT,
    amount_minor BIGINT,
    reason       TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);

-- Payments the office made. Append-only: a wrong payment is cancelled by a row with the opposite
-- amount that names it in `reverses`. A payment never changes an approved record.
CREATE TABLE funds_payments (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('wage', 'vendor', 'reimbursement')),
    worker_id      TEXT,
    -- The crew, for a wage payment to a crew's unnamed rest (paid to its leader).
    crew           TEXT,
    payee          TEXT,
    -- The wage month paid (YYYY-MM-01); NULL for vendors and reimbursements.
    month          TEXT,
    paid_on        TEXT NOT NULL,
    payer_account  TEXT NOT NULL,
    currency       TEXT NOT NULL,
    amount_minor   BIGINT NOT NULL,
    reference      TEXT NOT NULL,
    batch_id       TEXT REFERENCES funds_batches (id),
    reverses       TEXT REFERENCES funds_payments (id),
    recorded_by    TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX funds_payments_by_month ON funds_payments (project_id, month, worker_id);
CREATE INDEX funds_payments_by_date ON funds_payments (project_id, paid_on);

-- The owner's labour-cost allocations into the wage account (人工费拨付), per month. Append-only.
CREATE TABLE labour_allocations (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL,
    month          TEXT NOT NULL,
    received_on    TEXT NOT NULL,
    currency       TEXT NOT NULL,
    amount_minor   BIGINT NOT NULL,
    reference      TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX labour_allocations_by_month ON labour_allocations (project_id, month);

CREATE TRIGGER funds_entries_append_only BEFORE UPDATE OR DELETE ON funds_entries
    FOR EACH ROW EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER funds_entries_no_truncate BEFORE TRUNCATE ON funds_entries
    FOR EACH STATEMENT EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER funds_payments_append_only BEFORE UPDATE OR DELETE ON funds_payments
    FOR EACH ROW EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER funds_payments_no_truncate BEFORE TRUNCATE ON funds_payments
    FOR EACH STATEMENT EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER labour_allocations_append_only BEFORE UPDATE OR DELETE ON labour_allocations
    FOR EACH ROW EXECUTE FUNCTION fieldledger_append_only();
CREATE TRIGGER labour_allocations_no_truncate BEFORE TRUNCATE ON labour_allocations
    FOR EACH STATEMENT EXECUTE FUNCTION fieldledger_append_only();

-- Labour lines approved before this table existed: one row per line for its whole crew (no worker
-- names are kept in ledger_postings), so their wages are payable per crew.
INSERT INTO funds_entries (decision_id, entry, reverses, kind, project_id, site_id, record_id, line_id, work_date,
                           month, crew, trade, worker_id, worker_name, payee, currency, amount_minor, headcount,
                           person_days_micro, person_hours_micro, posted_at_ms)
SELECT decision_id, entry, NULL, 'wage', project_id, site_id, record_id, line_id, work_date,
       substr(work_date, 1, 7) || '-01', crew, trade, NULL, NULL, NULL, COALESCE(currency, ''), amount_minor,
       headcount, person_days_micro, person_hours_micro, posted_at_ms
FROM ledger_postings
WHERE ledger = 'cost' AND record_kind = 'labour_sheet'
ORDER BY id;

INSERT INTO funds_month_totals (project_id, month, kind, worker_id, worker_name, crew, trade, currency, amount_minor,
                                person_days_micro, person_hours_micro)
SELECT project_id, month, kind, COALESCE(worker_id, ''), COALESCE(worker_name, ''), COALESCE(crew, ''),
       COALESCE(trade, ''), currency, SUM(amount_minor), SUM(person_days_micro), SUM(person_hours_micro)
FROM funds_entries
GROUP BY project_id, month, kind, COALESCE(worker_id, ''), COALESCE(worker_name, ''), COALESCE(crew, ''),
         COALESCE(trade, ''), currency;
