// Package pgtest gives tests a real PostgreSQL database of their own. The
// test command (.ci/with-postgres) starts a throwaway server and sets
// HELPLINE_TEST_DATABASE_URL. Without it, database tests are skipped on a
// developer's machine but fail under CI=true: CI never passes by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the server URL the test command provides.
const EnvVar = "HELPLINE_TEST_DATABASE_URL"

// ServerURL returns the test server's URL, skipping (or under CI failing)
// the test when there is none.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI: run tests through 'make test' (.ci/with-postgres)", EnvVar)
		}
		t.Skipf("%s not set: run 'make test' for database tests", EnvVar)
	}
	return u
}

// NewDatabase creates a fresh, empty database for this test, drops it at
// the end, and returns its URL. Tests never share tables.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect test server: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, server)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	pu, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	pu.Path = "/" + name
	return pu.String()
}
