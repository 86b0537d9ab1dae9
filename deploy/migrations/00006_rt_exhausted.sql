-- +goose Up

-- Response times: escalations that ran every round with nobody
-- acknowledging, per line and UTC hour of their first page.
ALTER TABLE rt_hours ADD COLUMN exhausted INT8 NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE rt_hours DROP COLUMN exhausted;
