-- Monthly day-labour totals, kept beside ledger_postings as ledger_totals is: every labour line
-- posted or reversed adds its figures to the row of its month and its six grouping values, in the
-- decision's own transaction (ledger::stored_postings). The day-labour summary by month or over a
-- range of whole months (reports::labour::summary) reads these rows instead of summing every line:
-- a whole history of a project with 127,000 lines is a few thousand rows. Absent values are ''
-- (a primary key holds no NULL); the summary reads them back as absent.
CREATE TABLE labour_month_totals (
    project_id         TEXT NOT NULL,
    -- First day of the month of the lines' work date (YYYY-MM-01).
    month              TEXT NOT NULL,
    currency           TEXT NOT NULL,
    site_id            TEXT NOT NULL,
    trade              TEXT NOT NULL,
    crew               TEXT NOT NULL,
    cost_code          TEXT NOT NULL,
    activity           TEXT NOT NULL,
    author             TEXT NOT NULL,
    headcount          BIGINT NOT NULL,
    person_days_micro  BIGINT NOT NULL,
    person_hours_micro BIGINT NOT NULL,
    amount_minor       BIGINT NOT NULL,
    PRIMARY KEY (project_id, month, currency, site_id, trade, crew, cost_code, activity, author)
);

-- The lines posted before this table existed.
INSERT INTO labour_month_totals (project_id, month, currency, site_id, trade, crew, cost_code, activity, author,
                                 headcount, person_days_micro, person_hours_micro, amount_minor)
SELECT project_id, substr(work_date, 1, 7) || '-01', COALESCE(currency, ''), site_id, COALESCE(trade, ''),
       COALESCE(crew, ''), COALESCE(cost_code, ''), COALESCE(activity, ''), author,
       SUM(headcount), SUM(person_days_micro), SUM(person_hours_micro), SUM(amount_minor)
FROM ledger_postings
WHERE ledger = 'cost' AND record_kind = 'labour_sheet'
GROUP BY project_id, substr(work_date, 1, 7) || '-01', COALESCE(currency, ''), site_id, COALESCE(trade, ''),
         COALESCE(crew, ''), COALESCE(cost_code, ''), COALESCE(activity, ''), author;
