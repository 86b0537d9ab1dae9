-- +goose Up

-- Triage's matched terms are derived from a client's words: from
-- conversation.message_triaged v2 and conversation.escalation_raised v2
-- they are sealed with the client's key (a JSON list, events.TermsAAD of
-- the message), and the projections keep them sealed, as message bodies
-- are (key id and ciphertext), so erasing the client's key takes them. The
-- plain text columns go: version 1 events are read without their terms
-- (events.Decode drops them), so a rebuild would leave them empty anyway.
-- The inbox no longer keeps a conversation-level union of terms: its
-- listing shows signals (categories).
ALTER TABLE inbox.conversations DROP COLUMN terms;
ALTER TABLE inbox.messages DROP COLUMN terms;
ALTER TABLE inbox.messages ADD COLUMN terms_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox.messages ADD COLUMN terms BYTEA NULL;
ALTER TABLE escalations.queue DROP COLUMN terms;
ALTER TABLE escalations.queue ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE escalations.queue ADD COLUMN terms_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE escalations.queue ADD COLUMN terms BYTEA NULL;

-- +goose Down
ALTER TABLE escalations.queue DROP COLUMN terms;
ALTER TABLE escalations.queue DROP COLUMN terms_key_id;
ALTER TABLE escalations.queue DROP COLUMN message_id;
ALTER TABLE escalations.queue ADD COLUMN terms TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE inbox.messages DROP COLUMN terms;
ALTER TABLE inbox.messages DROP COLUMN terms_key_id;
ALTER TABLE inbox.messages ADD COLUMN terms TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE inbox.conversations ADD COLUMN terms TEXT[] NOT NULL DEFAULT '{}';
