// Package projectiontest holds what the projections' tests share: a real
// in-process log holding given events, a migrated PostgreSQL database, the
// memory and SQL store backends a suite runs over, a Fixture per read
// model (the store-suite cases every projection shares, and the
// crash-then-replay driver), and the boundary checks on struct fields and
// SQL columns. It is imported by tests only.
package projectiontest
