-- Issue 22: the risk register (风险台账; docs/risks.md). Risks per project, raised in the office or
-- promoted from a field observation, with probability and impact 1..5 (score = probability × impact;
-- level low 1-4, medium 5-9, high 10-16, critical 20-25, computed, never stored), owner, response,
-- due date, status and a history that only grows.

CREATE TABLE risks (
    project_id       TEXT NOT NULL,
    -- Per project, from 1; shown as R-0001.
    number           BIGINT NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT,
    category         TEXT NOT NULL CHECK (category IN ('safety', 'quality', 'schedule', 'cost', 'other')),
    probability      BIGINT NOT NULL CHECK (probability BETWEEN 1 AND 5),
    impact           BIGINT NOT NULL CHECK (impact BETWEEN 1 AND 5),
    owner            TEXT,
    -- The response: a strategy and the plan in words.
    strategy         TEXT CHECK (strategy IN ('avoid', 'mitigate', 'transfer', 'accept')),
    response         TEXT,
    -- YYYY-MM-DD.
    due_on           TEXT,
    status           TEXT NOT NULL CHECK (status IN ('open', 'mitigating', 'closed')),
    -- The observation (record id) the risk was promoted from; one risk per observation.
    source_record_id TEXT,
    created_by       TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (project_id, number)
);
CREATE UNIQUE INDEX risks_by_source ON risks (project_id, source_record_id);
CREATE INDEX risks_by_status ON risks (project_id, status);

-- The history of a risk: one row per changed field (action 'edited', 'closed', 'reopened'), or the
-- creation ('created', 'promoted': field NULL, to_value the source observation for a promotion).
CREATE TABLE risk_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  TEXT NOT NULL,
    number      BIGINT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('created', 'promoted', 'edited', 'closed', 'reopened')),
    field       TEXT,
    from_value  TEXT,
    to_value    TEXT,
    note        TEXT,
    by_name     TEXT NOT NULL,
    at_ms       BIGINT NOT NULL,
    FOREIGN KEY (project_id, number) REFERENCES risks (project_id, number)
);
CREATE INDEX risk_events_by_risk ON risk_events (project_id, number, id);
