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
ALTER TABLE devices ADD COLUMN scope_fp BYTEA;
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

-- An observation assigned to a person (a member of the project): their phones hold it while open.
-- `assignee` stays the name shown; a free-text assignee assigns nobody's phone.
ALTER TABLE observations ADD COLUMN assignee_person TEXT REFERENCES people (id);

-- The facts of the documents already stored, from the record index (before the trigger below, so
-- that the backfill does not give every document a new change number: phones that do not apply
-- scopes would list the whole project again). Open: not voided and in conflict, or an observation
-- whose follow-up is not closed, or another record whose standing approval is not of its indexed
-- heads (scope::is_open). Damaged or not yet indexed records keep NULL facts (counted in scope).
-- The owner stays NULL: who first wrote them was not kept.
UPDATE documents SET scope_site = f.site_id, scope_date = f.record_date, scope_open = f.is_open,
    scope_assignee = f.assignee_person
FROM (SELECT r.record_id, r.site_id, r.record_date, o.assignee_person,
             CASE WHEN r.voided <> 0 THEN 0
                  WHEN r.conflict_count > 0 THEN 1
                  WHEN r.kind = 'observation' THEN CASE WHEN o.status = 'closed' THEN 0 ELSE 1 END
                  WHEN EXISTS (SELECT 1 FROM approval_decisions a WHERE a.record_id = r.record_id
                               AND a.status = 'approved' AND a.heads = r.heads
                               AND a.record_seq = (SELECT MAX(b.record_seq) FROM approval_decisions b
                                                   WHERE b.record_id = r.record_id AND b.status = 'approved'))
                  THEN 0 ELSE 1 END AS is_open
      FROM record_index r LEFT JOIN observations o ON o.record_id = r.record_id
      WHERE r.damage IS NULL) AS f
WHERE documents.id = f.record_id;

-- Companions carry their record's facts.
UPDATE documents SET scope_site = r.scope_site, scope_date = r.scope_date, scope_open = r.scope_open,
    scope_assignee = r.scope_assignee
FROM documents r
WHERE documents.kind = 'approval' AND r.id = substr(documents.id, 10) AND r.scope_site IS NOT NULL;
UPDATE documents SET scope_site = r.scope_site, scope_date = r.scope_date, scope_open = r.scope_open,
    scope_assignee = r.scope_assignee
FROM documents r
WHERE documents.kind = 'follow_up' AND r.id = substr(documents.id, 11) AND r.scope_site IS NOT NULL;

-- A change of a document's facts lists it again (a rejection reaches the author's phone that had
-- dropped the record): it takes the project's next change number, as a write of the document does
-- (the same function, under the same per-project lock).
CREATE TRIGGER documents_change_seq_scope BEFORE UPDATE OF scope_site, scope_date, scope_open, scope_assignee ON documents
    FOR EACH ROW
    WHEN (OLD.scope_site IS DISTINCT FROM NEW.scope_site OR OLD.scope_date IS DISTINCT FROM NEW.scope_date
          OR OLD.scope_open IS DISTINCT FROM NEW.scope_open OR OLD.scope_assignee IS DISTINCT FROM NEW.scope_assignee)
    EXECUTE FUNCTION fieldledger_document_change_seq();
