// Package projections owns Helpline's read models and their stores: the
// Runner that applies the log to a projection exactly once, in stream
// order, in batches, with the projection's checkpoint in the same
// transaction as its rows, and that rebuilds a projection in memory and
// swaps it in with one transaction; the memory and SQL
// (PostgreSQL/CockroachDB) stores; the schema migrations; and the
// response-times projection, the managers' view.
package projections
