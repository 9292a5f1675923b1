-- Each device's manifest digest (docs/sync-protocol.md): the XOR of one element per document whose
-- shared heads are known, kept current as sync states change, so an idle phone's sync is one tiny
-- round. NULL means no document (all zeros).
ALTER TABLE devices ADD COLUMN manifest BYTEA;
