-- +goose Up

-- Erasure reaches the escalation queue: the client's id (a keyed
-- pseudonymous id, as the inbox keeps) finds a client's escalations when
-- client.erased arrives, and their sealed matched terms, unreadable once
-- the key is destroyed, are dropped; terms_erased says so, and only
-- content-free figures remain. The working state keeps the client id, and
-- erased for a conversation still open at the erasure, so an escalation
-- raised in it afterwards keeps no terms. Rows written before this
-- migration have no client id until the projection is rebuilt
-- (helpline projections rebuild).
ALTER TABLE escalations.queue ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE escalations.queue ADD COLUMN terms_erased BOOL NOT NULL DEFAULT false;
CREATE INDEX queue_client ON escalations.queue (client_id) WHERE client_id <> '';
ALTER TABLE escalations.conversations ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE escalations.conversations ADD COLUMN erased BOOL NOT NULL DEFAULT false;
CREATE INDEX conversations_client ON escalations.conversations (client_id) WHERE client_id <> '';

-- +goose Down
DROP INDEX escalations.conversations_client;
ALTER TABLE escalations.conversations DROP COLUMN erased;
ALTER TABLE escalations.conversations DROP COLUMN client_id;
DROP INDEX escalations.queue_client;
ALTER TABLE escalations.queue DROP COLUMN terms_erased;
ALTER TABLE escalations.queue DROP COLUMN client_id;
