-- Outgoing webhooks (issue 23; docs/webhooks.md): a project's endpoints, the durable outbox of
-- messages to deliver (a row is written in the transaction of the event it reports, e.g. a
-- decision), and the log of every delivery attempt. Times are epoch milliseconds.

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- generic | wecom | dingtalk
    format TEXT NOT NULL,
    -- generic: the Standard Webhooks key; dingtalk: the robot's signing secret; kept as given
    -- (it signs every delivery), never answered by the API after creation except masked.
    secret TEXT NOT NULL DEFAULT '',
    -- Event types, comma separated; empty: all.
    events TEXT NOT NULL DEFAULT '',
    -- 1 enabled, 0 disabled (by the admin, or by a 410 answer: disabled_reason).
    enabled BIGINT NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_project ON webhook_endpoints (project_id);

CREATE TABLE webhook_outbox (
    -- The webhook-id header, the same on every attempt.
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- The event as JSON text ({"type", "timestamp", "data"}); formatted per endpoint at delivery.
    payload TEXT NOT NULL,
    -- pending | delivered | dead
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT NOT NULL,
    -- A delivery worker's lease on the row; an expired lease is claimed again.
    locked_until_ms BIGINT,
    last_status BIGINT,
    last_error TEXT,
    created_at_ms BIGINT NOT NULL,
    delivered_at_ms BIGINT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (status, next_attempt_at_ms);
CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint_id, created_at_ms);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, at_ms);
