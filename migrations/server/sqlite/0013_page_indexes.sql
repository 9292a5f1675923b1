-- The day-labour page and its exports (reports::labour::summary) sum labour lines by day, site,
-- trade and crew. This partial index holds exactly the lines the summary reads, in its grouping
-- order, with the summed columns as trailing keys (SQLite has no INCLUDE): a covering index, so
-- the summary reads no table rows. See the PostgreSQL migration and docs/measurements.md,
-- "Eighth round".
CREATE INDEX ledger_postings_labour ON ledger_postings
    (project_id, currency, work_date, site_id, trade, crew, headcount, person_days_micro, person_hours_micro,
     amount_minor)
    WHERE ledger = 'cost' AND record_kind = 'labour_sheet';
