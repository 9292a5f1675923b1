-- Issue 22: field observations (现场问题) followed up in the office (docs/observations.md).
-- `observations` is the office's index of the observation records phones sync: the record's facts,
-- refreshed from its document when the document moves (like record_index), and the follow-up state
-- the office sets (status, assignee, due, resolution, risk), which only the office changes.
-- `observation_events` is the follow-up's history, append-only; the server-owned document
-- `follow_up:<record id>` mirrors both to phones.
CREATE TABLE observations (
    record_id     TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL,
    site_id       TEXT NOT NULL,
    -- The day it was seen, YYYY-MM-DD on the site's calendar.
    obs_date      TEXT NOT NULL,
    category      TEXT NOT NULL,
    severity      TEXT NOT NULL,
    -- 1 low .. 4 critical, to sort the worst first.
    severity_rank BIGINT NOT NULL DEFAULT 0,
    title         TEXT NOT NULL,
    description   TEXT,
    place         TEXT,
    activity      TEXT,
    author        TEXT NOT NULL,
    photo_count   BIGINT NOT NULL DEFAULT 0,
    voided        BIGINT NOT NULL DEFAULT 0,
    -- The document version the facts were read from.
    doc_version   BIGINT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'assigned', 'closed')),
    assignee      TEXT,
    -- YYYY-MM-DD
    due           TEXT,
    resolution    TEXT,
    risk_id       TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX observations_by_project_date ON observations (project_id, obs_date);
CREATE INDEX observations_by_project_status ON observations (project_id, status);
CREATE INDEX observations_by_project_site ON observations (project_id, site_id, obs_date);

CREATE TABLE observation_events (
    record_id  TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    project_id TEXT NOT NULL,
    -- assigned | closed | reopened | promoted | comment
    action     TEXT NOT NULL,
    -- The status after it.
    status     TEXT NOT NULL,
    by_name    TEXT NOT NULL,
    at_ms      BIGINT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    -- For `assigned`: who, and the due date (YYYY-MM-DD) set.
    assignee   TEXT,
    due        TEXT,
    PRIMARY KEY (record_id, seq)
);
