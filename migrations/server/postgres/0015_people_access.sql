-- People, their projects and roles, phone pairing and the access audit (issue 20; docs/access.md).
-- Device tokens stay as they were (a token is one device on one project with a role) and keep
-- working: a device may now belong to a person, and a phone paired by a person gets one device row
-- per project of that person, all sharing its handset id.

CREATE TABLE people (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    -- Digits only, a leading + kept (13812345678, +85291234567); unique when given.
    phone          TEXT UNIQUE,
    email          TEXT,
    -- An argon2id PHC string; NULL until the person sets a password through a sign-in link.
    password_hash  TEXT,
    -- Admin of every project, present and future.
    company_admin  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at_ms  BIGINT NOT NULL,
    disabled_at_ms BIGINT
);

-- One role per person and project. 'office' (cost controller) reads the ledgers and reports;
-- it has no device tokens (office people sign in with a password), so tokens.role is unchanged.
CREATE TABLE memberships (
    person_id     TEXT NOT NULL REFERENCES people (id),
    project_id    TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('foreman', 'supervisor', 'office', 'admin')),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (person_id, project_id)
);
CREATE INDEX memberships_by_project ON memberships (project_id, role);

ALTER TABLE devices ADD COLUMN person_id TEXT REFERENCES people (id);
-- The phone a pairing made: its device rows (one per project) share it.
ALTER TABLE devices ADD COLUMN handset_id TEXT;
ALTER TABLE devices ADD COLUMN app_version TEXT;
ALTER TABLE devices ADD COLUMN last_seen_at_ms BIGINT;
ALTER TABLE devices ADD COLUMN revoked_at_ms BIGINT;
CREATE INDEX devices_by_person ON devices (person_id);
CREATE INDEX devices_by_handset ON devices (handset_id);

-- One-time codes: 'pair' (a phone exchanges it for its device tokens) or 'sign_in' (a link that
-- lets a person set a password: the first admin's, or a reset). Stored as SHA-256 only.
CREATE TABLE access_codes (
    code_sha256   TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('pair', 'sign_in')),
    person_id     TEXT NOT NULL REFERENCES people (id),
    -- Who made it (NULL: the command line).
    created_by    TEXT REFERENCES people (id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT,
    -- The handset a pairing code paired.
    handset_id    TEXT
);
CREATE INDEX access_codes_by_person ON access_codes (person_id);

-- Who signed in, failed to, paired, revoked, changed a role: kept for admins to read.
CREATE TABLE access_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    -- sign_in, sign_in_failed, sign_out, password_set, person_added, membership_set,
    -- membership_removed, pairing_created, paired, pairing_refused, device_revoked, device_renamed,
    -- token_rotated, token_created
    event        TEXT NOT NULL,
    -- The project it concerns (NULL: company-wide).
    project_id   TEXT,
    -- Who did it (NULL: the command line, or an attempt by nobody known).
    actor_id     TEXT,
    -- Whom or what it concerns.
    person_id    TEXT,
    device_id    TEXT,
    -- The client's address, when it came over HTTP.
    address      TEXT,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_events_by_project ON access_events (project_id, id);
CREATE INDEX access_events_by_person ON access_events (person_id, id);

-- Browser sessions are opened with a device token (the key sign-in, as before) or by a person with
-- a password, who then works in one project at a time (the switcher).
ALTER TABLE web_sessions ALTER COLUMN token_sha256 DROP NOT NULL;
ALTER TABLE web_sessions ADD COLUMN person_id TEXT REFERENCES people (id);
ALTER TABLE web_sessions ADD COLUMN project_id TEXT;
ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_one_holder CHECK ((token_sha256 IS NULL) <> (person_id IS NULL));
CREATE INDEX web_sessions_by_person ON web_sessions (person_id);
