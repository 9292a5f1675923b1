-- Reference data (docs/approvals-and-ledgers.md, "Reference data") and the daily cost roll-up the
-- reports read.
--
-- Reference data is master data that admins edit in place (it is not a ledger). Each project's
-- rows are also published to the project's `reference:<project>` document, which phones receive
-- read-only through sync.
CREATE TABLE projects (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE TABLE sites (
    project_id TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    time_zone  TEXT NOT NULL,
    PRIMARY KEY (project_id, id)
);
-- Budgets are integers in the project currency's minor unit (fen), like the ledger's amounts.
CREATE TABLE cost_codes (
    project_id   TEXT NOT NULL,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    parent       TEXT,
    budget_minor BIGINT NOT NULL,
    PRIMARY KEY (project_id, code)
);
CREATE TABLE activities (
    project_id             TEXT NOT NULL,
    id                     TEXT NOT NULL,
    name                   TEXT NOT NULL,
    cost_code              TEXT,
    planned_start          TEXT NOT NULL,
    planned_finish         TEXT NOT NULL,
    budget_minor           BIGINT NOT NULL,
    planned_quantity_micro BIGINT,
    unit                   TEXT,
    -- Planned % by date, `YYYY-MM-DD=percent;…`; none: linear from start to finish.
    curve                  TEXT,
    PRIMARY KEY (project_id, id)
);
-- Rates are decimal text: a rate may carry more decimals than the currency (47.125 per hour).
CREATE TABLE trades (
    project_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    day_rate   TEXT,
    hour_rate  TEXT,
    PRIMARY KEY (project_id, name)
);

-- Net cost postings per project, dimension (cost code or activity), period (a day, and the month
-- holding it), item and currency, kept in the same transaction as the postings (derived totals,
-- updated in place; rebuildable from ledger_postings). Reports over years of postings read whole
-- months plus the days at the edges of the range, not years of lines. Item '' = not given.
CREATE TABLE ledger_totals (
    project_id         TEXT NOT NULL,
    dimension          TEXT NOT NULL CHECK (dimension IN ('cost_code', 'activity')),
    grain              TEXT NOT NULL CHECK (grain IN ('day', 'month')),
    -- The day, or the first day of the month (YYYY-MM-DD).
    period             TEXT NOT NULL,
    item               TEXT NOT NULL,
    currency           TEXT NOT NULL,
    amount_minor       BIGINT NOT NULL,
    person_days_micro  BIGINT NOT NULL,
    person_hours_micro BIGINT NOT NULL,
    PRIMARY KEY (project_id, dimension, grain, period, item, currency)
);

-- Actual progress reads the schedule postings only: a few per activity and fortnight among the
-- many labour lines.
CREATE INDEX ledger_postings_schedule ON ledger_postings (project_id, work_date) WHERE ledger = 'schedule';
