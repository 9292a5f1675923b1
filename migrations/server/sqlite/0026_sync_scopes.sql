-- Issue 25, sync scopes (docs/sync-scopes.md, section 2): which documents a device holds. The
-- rule's facts live on each document's row so a sync's listing decides without loading documents;
-- a companion (approval:<id>, follow_up:<id>) carries its record's facts.

-- A person's sites on a project. No row for (person, project): every site.
CREATE TABLE membership_sites (
    person_id  TEXT NOT NULL REFERENCES people (id),
    project_id TEXT NOT NULL,
    site_id    TEXT NOT NULL,
    PRIMARY KEY (person_id, project_id, site_id)
);

ALTER TABLE projects ADD COLUMN scope_window_days BIGINT NOT NULL DEFAULT 14;
-- NULL: all of a person's own records.
ALTER TABLE projects ADD COLUMN scope_own_days BIGINT;

-- ScopeParams::fingerprint last used for the device (a change resets its cursor).
ALTER TABLE devices ADD COLUMN scope_fp BLOB;
-- The whole project whatever the scope (an export or backup device: token create --full-scope).
ALTER TABLE devices ADD COLUMN scope_full BIGINT NOT NULL DEFAULT 0;

ALTER TABLE documents ADD COLUMN scope_site TEXT;
-- YYYY-MM-DD, the record's date.
ALTER TABLE documents ADD COLUMN scope_date TEXT;
-- Who wrote it first (provenance, never the typed author): 'p:<person>' or 'd:<device>'.
ALTER TABLE documents ADD COLUMN scope_owner TEXT;
ALTER TABLE documents ADD COLUMN scope_open BIGINT NOT NULL DEFAULT 1;
-- An observation's assigned person (observations.assignee_person).
ALTER TABLE documents ADD COLUMN scope_assignee TEXT;
CREATE INDEX documents_scope_site ON documents (project_id, scope_site, scope_date);
CREATE INDEX documents_scope_owner ON documents (project_id, scope_owner);
CREATE INDEX documents_scope_open ON documents (project_id, scope_site) WHERE scope_open = 1;

-- A change of a document's facts lists it again (a rejection reaches the author's phone that had
-- dropped the record): it takes the project's next change number, as a write of the document does.
CREATE TRIGGER documents_change_seq_scope AFTER UPDATE OF scope_site, scope_date, scope_open, scope_assignee ON documents
WHEN OLD.scope_site IS NOT NEW.scope_site OR OLD.scope_date IS NOT NEW.scope_date
  OR OLD.scope_open IS NOT NEW.scope_open OR OLD.scope_assignee IS NOT NEW.scope_assignee
BEGIN
    INSERT INTO project_change_seq (project_id, seq) SELECT NEW.project_id, 1 WHERE 1
    ON CONFLICT (project_id) DO UPDATE SET seq = seq + 1;
    UPDATE documents SET change_seq = (SELECT seq FROM project_change_seq WHERE project_id = NEW.project_id)
    WHERE id = NEW.id;
END;
