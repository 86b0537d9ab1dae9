-- +goose NO TRANSACTION
-- +goose Up

-- Response times keep, per conversation, the client's answers to the
-- post-contact survey as "question:option" codes (numbers from the line's
-- configuration, never a reply's text). The survey is new with this
-- column, so no event before it needs replaying.
ALTER TABLE rt_conversations ADD COLUMN survey TEXT[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE rt_conversations DROP COLUMN survey;
