-- +goose Up

-- Inbox: staff flags on a client (its kind and when it ends, as
-- "<kind> <RFC 3339 end>"; the reason stays sealed in the log), kept per
-- client and copied to each of its conversations. The console shows those
-- current at its clock.
ALTER TABLE inbox.clients ADD COLUMN client_flags TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE inbox.conversations ADD COLUMN client_flags TEXT[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE inbox.conversations DROP COLUMN client_flags;
ALTER TABLE inbox.clients DROP COLUMN client_flags;
