// Package contracts holds Helpline's published contracts: a JSON Schema
// for every event type and version (events/), the envelope schema, an
// AsyncAPI document naming the streams, subjects and messages, and the
// OpenAPI description of the HTTP surface (OpenAPI parses it,
// OpenAPICompiler and OpenAPISchemaURL compile its schemas, for these
// tests, the console's contract test and the route test of cmd/helpline).
// The tests in this package check that what the code emits matches them.
//
// A published schema never changes: a new event version gets a new file.
// Generate the file for a new type with `go test ./contracts -run
// TestEventSchemas -update`, review it, and commit it.
package contracts
