// Package views holds the console's typed view models: what the JSON API
// encodes and what the HTML templates render, one set for both ports.
// They carry what staff may see (a client's pseudonym, never a number or
// a client id; staff names, never their numbers) and nothing else. The
// application layer (package app) builds them; the ports only encode or
// render them.
package views
