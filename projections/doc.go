// Package projections is the framework every read model runs on, and
// holds no read model itself: the Runner that applies the log to a
// projection exactly once, in stream order, in batches, with the
// projection's checkpoint in the same transaction as its rows, and that
// rebuilds a projection in memory and swaps it in with one transaction;
// the memory and SQL (PostgreSQL/CockroachDB) plumbing each store embeds
// (checkpoints, staged transactions, snapshots); cursors; and the schema
// migrations. Each read model is a package of its own: responsetimes (the
// managers' figures), escalations (the duty queue), inbox (the workers'
// conversations).
package projections
