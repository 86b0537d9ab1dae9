-- +goose Up

-- Each page's channel (sms or call), the provider's id of the message or
-- call, and its delivery state as the provider last reported it (queued,
-- sent, delivered, failed, answered) with the provider's error code. A
-- status callback names only the provider id: the index finds its page.
-- Rows written before this migration keep 'sms' and 'queued' until the
-- projection is rebuilt (helpline projections rebuild).
ALTER TABLE escalations.pages
    ADD COLUMN channel     TEXT NOT NULL DEFAULT 'sms',
    ADD COLUMN provider_id TEXT NOT NULL DEFAULT '',
    ADD COLUMN delivery    TEXT NOT NULL DEFAULT 'queued',
    ADD COLUMN error_code  INT4 NOT NULL DEFAULT 0;

CREATE INDEX pages_provider ON escalations.pages (provider_id) WHERE provider_id <> '';

-- +goose Down
DROP INDEX escalations.pages_provider;
ALTER TABLE escalations.pages DROP COLUMN error_code, DROP COLUMN delivery, DROP COLUMN provider_id, DROP COLUMN channel;
