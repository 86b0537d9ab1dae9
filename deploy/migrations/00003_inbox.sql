-- +goose Up

-- The worker inbox lives in a schema of its own, like the escalation
-- queue: it holds client pseudonyms and sealed message bodies, which
-- workers may read and managers may not, so a deployment can grant each
-- audience's database role only its own schema. Bodies are kept exactly
-- as the log carries them, sealed with the client's data key (BYTEA,
-- never text); they are dropped when the client is erased. No column may
-- hold a phone number or a plaintext body.
CREATE SCHEMA inbox;

-- One row per conversation, open or closed. client_id is the keyed-hash
-- client id, needed to open sealed bodies; it is never shown.
CREATE TABLE inbox.conversations (
    conversation_id  TEXT        PRIMARY KEY,
    line_id          TEXT        NOT NULL,
    client_id        TEXT        NOT NULL,
    pseudonym        TEXT        NOT NULL,
    channel          TEXT        NOT NULL,
    team_id          TEXT        NOT NULL,
    assignee_id      TEXT        NOT NULL,
    is_open          BOOL        NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    last_activity_at TIMESTAMPTZ NOT NULL,
    closed_at        TIMESTAMPTZ NULL,
    unread           INT4        NOT NULL,
    risk             TEXT        NOT NULL,
    flags            TEXT[]      NOT NULL,
    categories       TEXT[]      NOT NULL,
    terms            TEXT[]      NOT NULL,
    consent          TEXT        NOT NULL,
    erased           BOOL        NOT NULL
);

-- Listings, newest activity first: keyset pagination on
-- (last_activity_at, conversation_id).
CREATE INDEX conversations_activity ON inbox.conversations (last_activity_at DESC, conversation_id DESC);

-- A client's conversations, for consent changes and erasure.
CREATE INDEX conversations_client ON inbox.conversations (client_id);

-- Messages either way. position is the message's place in its
-- conversation (1, 2, ...), given when it is first written: log order. body is the sealed ciphertext (NULL once
-- erased, or for an auto-reply, whose text the log does not carry).
CREATE TABLE inbox.messages (
    conversation_id     TEXT        NOT NULL,
    message_id          TEXT        NOT NULL,
    position            INT8        NOT NULL,
    event_id            TEXT        NOT NULL,
    direction           TEXT        NOT NULL,
    kind                TEXT        NOT NULL,
    occurred_at         TIMESTAMPTZ NOT NULL,
    staff_id            TEXT        NOT NULL,
    sender_name         TEXT        NOT NULL,
    body_key_id         TEXT        NOT NULL,
    body                BYTEA       NULL,
    status              TEXT        NOT NULL,
    reason              TEXT        NOT NULL,
    risk                TEXT        NOT NULL,
    terms               TEXT[]      NOT NULL,
    provider_message_id TEXT        NOT NULL,
    PRIMARY KEY (conversation_id, message_id)
);

-- Working state: each client's opt-in state and erasure, which new
-- conversations copy.
CREATE TABLE inbox.clients (
    client_id TEXT PRIMARY KEY,
    consent   TEXT NOT NULL,
    erased    BOOL NOT NULL
);

-- Working state: the best delivery status reported per provider message
-- id, since a callback may be in the log before the send it reports on.
CREATE TABLE inbox.deliveries (
    conversation_id     TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    status              TEXT NOT NULL,
    reason              TEXT NOT NULL,
    PRIMARY KEY (conversation_id, provider_message_id)
);

-- +goose Down
DROP TABLE inbox.deliveries;
DROP TABLE inbox.clients;
DROP TABLE inbox.messages;
DROP TABLE inbox.conversations;
DROP SCHEMA inbox;
