// Package app is Helpline's composition root. It builds a process from the
// environment (config.Env) and the YAML configuration (config.File): the
// platform (the embedded or an external NATS, the event store, the
// keyring), the services the process holds (ingestion, triage,
// notification, the console, the SMS sandbox), their projections, timer
// loops and consumers, and the HTTP surface with health and metrics.
//
// `helpline run` (every service) and `helpline serve <service>` (one) call
// Run; the command-line tools open a Platform; the test beds and the load
// tests build through the same functions, so what they exercise and
// measure is what ships.
package app
