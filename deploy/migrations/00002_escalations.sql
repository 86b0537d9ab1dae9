-- +goose Up

-- The escalation queue (the duty workers' view) lives in a schema of its
-- own. It holds client pseudonyms, which duty workers may see and
-- managers may not: keeping it apart from the response-times tables (in
-- the default schema) lets a deployment grant each audience's database
-- role only its own schema, and keeps the managers' schema free of any
-- client identifier. No column may hold content or a phone number.
CREATE SCHEMA escalations;

-- One row per escalation, open or done. The pseudonym is copied from the
-- conversation's start; categories and terms are the lexicon's canonical
-- ones, never the client's own words.
CREATE TABLE escalations.queue (
    escalation_id   TEXT        PRIMARY KEY,
    conversation_id TEXT        NOT NULL,
    line_id         TEXT        NOT NULL,
    pseudonym       TEXT        NOT NULL,
    reason          TEXT        NOT NULL,
    risk            TEXT        NOT NULL,
    categories      TEXT[]      NOT NULL,
    terms           TEXT[]      NOT NULL,
    policy_level    INT4        NOT NULL,
    policy_round    INT4        NOT NULL,
    raised_at       TIMESTAMPTZ NOT NULL,
    acknowledged_by TEXT        NULL,
    acknowledged_at TIMESTAMPTZ NULL,
    exhausted       BOOL        NOT NULL DEFAULT false
);

-- The open queue, oldest first: keyset pagination on (raised_at, id).
CREATE INDEX queue_open ON escalations.queue (raised_at, escalation_id)
    WHERE acknowledged_at IS NULL AND NOT exhausted;

-- Who was paged when; seq is the page event's stream sequence, so a
-- redelivered page is one row.
CREATE TABLE escalations.pages (
    escalation_id TEXT        NOT NULL,
    seq           INT8        NOT NULL,
    staff_id      TEXT        NOT NULL,
    policy_level  INT4        NOT NULL,
    level_name    TEXT        NOT NULL,
    policy_round  INT4        NOT NULL,
    paged_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (escalation_id, seq)
);

-- Working state: the line and pseudonym of each conversation not yet
-- closed, for the escalations raised in it.
CREATE TABLE escalations.conversations (
    conversation_id TEXT PRIMARY KEY,
    line_id         TEXT NOT NULL,
    pseudonym       TEXT NOT NULL
);

-- +goose Down
DROP TABLE escalations.conversations;
DROP TABLE escalations.pages;
DROP TABLE escalations.queue;
DROP SCHEMA escalations;
