-- +goose Up

-- One row per projection: the last stream sequence applied to it. It is
-- written in the same transaction as the projection's rows.
CREATE TABLE projection_checkpoints (
    name TEXT PRIMARY KEY,
    seq  INT8 NOT NULL
);

-- Response times (the managers' view): figures per line and UTC hour.
-- No column may hold content or anything that identifies a client.
CREATE TABLE rt_hours (
    line_id      TEXT        NOT NULL,
    hour         TIMESTAMPTZ NOT NULL,
    received     INT8        NOT NULL DEFAULT 0,
    out_of_hours INT8        NOT NULL DEFAULT 0,
    breaches     INT8        NOT NULL DEFAULT 0,
    PRIMARY KEY (line_id, hour)
);

-- Mergeable histograms: the count of observations in each fixed bucket,
-- so buckets of many hours sum into one histogram.
CREATE TABLE rt_histograms (
    line_id TEXT        NOT NULL,
    hour    TIMESTAMPTZ NOT NULL,
    metric  TEXT        NOT NULL,
    bucket  INT4        NOT NULL,
    n       INT8        NOT NULL,
    PRIMARY KEY (line_id, hour, metric, bucket)
);

-- Working state: conversations waiting for their first worker reply.
-- Timestamps and the line only; the row goes when the conversation closes.
CREATE TABLE rt_pending_replies (
    conversation_id TEXT        PRIMARY KEY,
    line_id         TEXT        NOT NULL,
    received_at     TIMESTAMPTZ NULL,
    replied         BOOL        NOT NULL DEFAULT false
);

-- Working state: escalations waiting for an acknowledgement.
CREATE TABLE rt_pending_acks (
    escalation_id TEXT        PRIMARY KEY,
    line_id       TEXT        NOT NULL,
    paged_at      TIMESTAMPTZ NULL
);

-- +goose Down
DROP TABLE rt_pending_acks;
DROP TABLE rt_pending_replies;
DROP TABLE rt_histograms;
DROP TABLE rt_hours;
DROP TABLE projection_checkpoints;
