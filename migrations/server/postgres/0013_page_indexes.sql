-- The day-labour page and its exports (reports::labour::summary) sum labour lines by day, site,
-- trade and crew. With 1,000,000 lines a project holds ~125,000: read through ledger_postings_by_date
-- that was a bitmap heap scan of the table plus an on-disk sort (1.6 s for a whole history by day).
-- This partial index holds exactly the lines the summary reads, in its grouping order, with the
-- summed columns alongside: an index-only scan grouped as it streams, no table reads and no sort
-- (0.3 s; a month's range reads a month of entries). Measured in docs/measurements.md, "Eighth round".
CREATE INDEX ledger_postings_labour ON ledger_postings (project_id, currency, work_date, site_id, trade, crew)
    INCLUDE (headcount, person_days_micro, person_hours_micro, amount_minor)
    WHERE ledger = 'cost' AND record_kind = 'labour_sheet';
