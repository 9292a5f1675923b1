-- Daily report PDFs fetched from the server (issue 23), kept so the phone shows them offline and asks
-- again with If-None-Match. The file is in the media folder at reports/<file_name> (relative: an iOS
-- app's container path changes across updates); the file is written before its row, and a new file
-- has a new name, so a row never points at a half-written file.
CREATE TABLE daily_report_files (
    project_id     TEXT NOT NULL,
    site_id        TEXT NOT NULL,
    report_date    TEXT NOT NULL,
    lang           TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    etag           TEXT,
    version        INTEGER NOT NULL,
    byte_size      INTEGER NOT NULL,
    fetched_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (project_id, site_id, report_date, lang)
);
