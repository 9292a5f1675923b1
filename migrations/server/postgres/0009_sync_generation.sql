-- A counter bumped in the same transaction as every change to a device's sync states or manifest.
-- A server process keeps a device's states in memory and trusts them only while this still equals
-- the value it last wrote or read, so replicas on one database stay coherent (docs/sync-protocol.md).
ALTER TABLE devices ADD COLUMN sync_gen BIGINT NOT NULL DEFAULT 0;
