-- Monthly day-labour totals by site, trade and crew, kept beside ledger_postings as ledger_totals
-- is: every labour line posted or reversed adds its figures to its month's row, in the decision's
-- own transaction (ledger::stored_postings). The day-labour summary by month or over whole months,
-- grouped by any of site, trade and crew (the screens' default), reads these rows instead of
-- summing lines (reports::labour::summary): a seeded project's whole history of 126,772 lines is
-- 12,761 rows. Cost code, activity and author are not kept: on the seeded company they made nearly
-- every line a row of its own, so those groupings read the lines. Absent values are '' (a primary
-- key holds no NULL), read back as absent.
CREATE TABLE labour_month_totals (
    project_id         TEXT NOT NULL,
    -- First day of the month of the lines' work date (YYYY-MM-01).
    month              TEXT NOT NULL,
    currency           TEXT NOT NULL,
    site_id            TEXT NOT NULL,
    trade              TEXT NOT NULL,
    crew               TEXT NOT NULL,
    headcount          BIGINT NOT NULL,
    person_days_micro  BIGINT NOT NULL,
    person_hours_micro BIGINT NOT NULL,
    amount_minor       BIGINT NOT NULL,
    PRIMARY KEY (project_id, month, currency, site_id, trade, crew)
);

-- The lines posted before this table existed.
INSERT INTO labour_month_totals (project_id, month, currency, site_id, trade, crew, headcount, person_days_micro,
                                 person_hours_micro, amount_minor)
SELECT project_id, substr(work_date, 1, 7) || '-01', COALESCE(currency, ''), site_id, COALESCE(trade, ''),
       COALESCE(crew, ''), SUM(headcount), SUM(person_days_micro), SUM(person_hours_micro), SUM(amount_minor)
FROM ledger_postings
WHERE ledger = 'cost' AND record_kind = 'labour_sheet'
GROUP BY project_id, substr(work_date, 1, 7) || '-01', COALESCE(currency, ''), site_id, COALESCE(trade, ''),
         COALESCE(crew, '');
