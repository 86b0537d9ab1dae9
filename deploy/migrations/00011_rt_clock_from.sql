-- +goose NO TRANSACTION
-- +goose Up

-- Response times: waits count from the response clock's start (the
-- line's next opening for a message that came while it was closed), as
-- the unanswered escalation does, not from the message's arrival. Each
-- conversation keeps when its first and its next wait count from. The
-- projection is rebuilt from the log at the next start. Outside a
-- transaction: CockroachDB does not mix schema changes and writes in one.
ALTER TABLE rt_conversations ADD COLUMN first_from TIMESTAMPTZ NULL;
ALTER TABLE rt_conversations ADD COLUMN next_from TIMESTAMPTZ NULL;
DELETE FROM rt_conversations WHERE true;
DELETE FROM rt_histograms WHERE true;
DELETE FROM rt_pending_acks WHERE true;
DELETE FROM rt_hours WHERE true;
DELETE FROM projection_checkpoints WHERE name = 'projection-response-times';

-- +goose Down
ALTER TABLE rt_conversations DROP COLUMN first_from;
ALTER TABLE rt_conversations DROP COLUMN next_from;
DELETE FROM rt_conversations WHERE true;
DELETE FROM rt_histograms WHERE true;
DELETE FROM rt_pending_acks WHERE true;
DELETE FROM rt_hours WHERE true;
DELETE FROM projection_checkpoints WHERE name = 'projection-response-times';
