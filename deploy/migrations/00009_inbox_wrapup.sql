-- +goose Up

-- The inbox keeps, per conversation, the stream sequence of the client's
-- latest message (a worker's close names it: a message after it refuses
-- the close) and the outcome it was closed with ('' while open).
ALTER TABLE inbox.conversations ADD COLUMN last_inbound_seq INT8 NOT NULL DEFAULT 0;
ALTER TABLE inbox.conversations ADD COLUMN outcome TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE inbox.conversations DROP COLUMN outcome;
ALTER TABLE inbox.conversations DROP COLUMN last_inbound_seq;
