-- Daily reports (issue 23; docs/daily-reports.md): every generated version of a site's day, with
-- the record versions it was made from (`sources`) and the report itself (`model`), both JSON, so
-- a version renders the same whenever it is opened; a new version only when the fingerprint (hex
-- SHA-256 over the sources, the observations' follow-up statuses and the uploaded photos) moved.
-- Times are epoch milliseconds.
CREATE TABLE daily_reports (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    site_id         TEXT NOT NULL,
    -- YYYY-MM-DD on the site's calendar.
    report_date     TEXT NOT NULL,
    -- 1, 2, 3... per site and day; unique, so two generations at once cannot share a number.
    version         BIGINT NOT NULL,
    fingerprint     TEXT NOT NULL,
    -- How many records (sources) it was made from.
    records         BIGINT NOT NULL,
    sources         TEXT NOT NULL,
    model           TEXT NOT NULL,
    generated_at_ms BIGINT NOT NULL,
    -- When `daily_report.ready` was enqueued for it (NULL: made by a reader before the day settled;
    -- the worker announces it once the day settles).
    announced_at_ms BIGINT,
    UNIQUE (project_id, site_id, report_date, version)
);
CREATE INDEX daily_reports_by_date ON daily_reports (project_id, report_date, site_id);

-- A version's PDF per language, made once (a version never changes).
CREATE TABLE daily_report_files (
    report_id     TEXT NOT NULL REFERENCES daily_reports (id),
    -- zh-CN | en
    lang          TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (report_id, lang)
);

-- The regeneration worker's watermark: every change at or before `mark_ms` was looked at.
CREATE TABLE daily_report_marks (
    name    TEXT PRIMARY KEY,
    mark_ms BIGINT NOT NULL
);
