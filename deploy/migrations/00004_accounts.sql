-- +goose Up

-- Staff accounts (the console's sign-in, role checks and staff names) in a
-- schema of their own: no client identifier and no content, and a
-- password only as its argon2id hash. A deployment can grant the console
-- alone the right to read it.
CREATE SCHEMA accounts;

-- One row per registered account; roles in the order they were granted.
CREATE TABLE accounts.accounts (
    staff_id      TEXT   PRIMARY KEY,
    name          TEXT   NOT NULL,
    roles         TEXT[] NOT NULL,
    disabled      BOOL   NOT NULL DEFAULT false,
    password_hash TEXT   NOT NULL
);

-- +goose Down
DROP TABLE accounts.accounts;
DROP SCHEMA accounts;
