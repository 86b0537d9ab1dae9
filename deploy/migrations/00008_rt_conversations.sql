-- +goose NO TRANSACTION
-- +goose Up

-- Response times: one row per conversation (the figures of conversations
-- never answered, abandoned, their outcomes and categories, and the
-- managers' per-conversation export) replaces the pending replies, and
-- next replies later than the line's target are counted per hour. Its
-- key is the conversation's random id, never shown; no column may hold
-- content or anything that identifies a client. Outside a transaction:
-- CockroachDB does not mix schema changes and writes in one.
CREATE TABLE rt_conversations (
    conversation_id TEXT        PRIMARY KEY,
    line_id         TEXT        NOT NULL,
    opened_at       TIMESTAMPTZ NOT NULL,
    last_in_at      TIMESTAMPTZ NOT NULL,
    replied         BOOL        NOT NULL DEFAULT false,
    first_reply_ns  INT8        NOT NULL DEFAULT 0,
    next_since      TIMESTAMPTZ NULL,
    messages_in     INT8        NOT NULL DEFAULT 0,
    messages_out    INT8        NOT NULL DEFAULT 0,
    escalated       BOOL        NOT NULL DEFAULT false,
    exhausted       BOOL        NOT NULL DEFAULT false,
    closed          BOOL        NOT NULL DEFAULT false,
    closed_at       TIMESTAMPTZ NULL,
    outcome         TEXT        NOT NULL DEFAULT '',
    categories      TEXT[]      NOT NULL
);
CREATE INDEX rt_conversations_line_opened ON rt_conversations (line_id, opened_at);
ALTER TABLE rt_hours ADD COLUMN next_breaches INT8 NOT NULL DEFAULT 0;
DROP TABLE rt_pending_replies;

-- The projection is rebuilt from the log at the next start: its rows
-- and checkpoint go (the rows per conversation need the whole history).
DELETE FROM rt_histograms WHERE true;
DELETE FROM rt_pending_acks WHERE true;
DELETE FROM rt_hours WHERE true;
DELETE FROM projection_checkpoints WHERE name = 'projection-response-times';

-- +goose Down
CREATE TABLE rt_pending_replies (
    conversation_id TEXT        PRIMARY KEY,
    line_id         TEXT        NOT NULL,
    received_at     TIMESTAMPTZ NULL,
    replied         BOOL        NOT NULL DEFAULT false
);
ALTER TABLE rt_hours DROP COLUMN next_breaches;
DROP TABLE rt_conversations;
DELETE FROM rt_histograms WHERE true;
DELETE FROM rt_pending_acks WHERE true;
DELETE FROM rt_hours WHERE true;
DELETE FROM projection_checkpoints WHERE name = 'projection-response-times';
