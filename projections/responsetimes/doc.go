// Package responsetimes owns the response-times projection, the managers'
// view: per line and UTC hour, messages received, out-of-hours messages,
// first-reply and acknowledgement times as fixed-bucket histograms, and
// first-reply target breaches, with the reports drawn from them. It is
// driven by projections.Runner like every read model and kept by a memory
// or a SQL (PostgreSQL/CockroachDB) Store.
//
// It is built from timestamps only: none of its types has a field, and
// none of its tables a column, for a message body, a phone number, a
// pseudonym or a client id (tests check both by reflection).
package responsetimes
