// Package pgtest gives tests a real PostgreSQL database of their own. The
// test command (.ci/with-postgres) starts a throwaway server and sets
// HELPLINE_TEST_DATABASE_URL. Without it, database tests are skipped on a
// developer's machine but fail under CI=true: CI never passes by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	return newDatabase(t, "")
}

// newDatabase creates a database for this test with CREATE DATABASE's
// options (empty, or a TEMPLATE), drops it at the end, and returns its URL.
func newDatabase(t testing.TB, options string) string {
	t.Helper()
	server := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect test server: %v", err)
	}
	defer conn.Close(ctx)
	name := "t_" + randomHex()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+options); err != nil {
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
	u, err := databaseURL(server, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// NewDatabaseFrom is NewDatabase with the tables and rows of template (a
// database Template made): CREATE DATABASE ... TEMPLATE copies them, much
// faster than applying again what made them.
func NewDatabaseFrom(t testing.TB, template string) string {
	t.Helper()
	return newDatabase(t, " TEMPLATE "+template)
}

// templates are the templates this process made or found, by name.
var templates sync.Map // name -> *templateOnce

type templateOnce struct {
	once sync.Once
	err  error
}

// Template returns name, a database on the test server that fill wrote
// into, for NewDatabaseFrom. It is made once per server: the first caller
// (of this process or another test process) fills a database of its own
// and renames it name; the others wait for it or find it there. So name
// must change whenever what fill writes does (a hash of it).
func Template(t testing.TB, name string, fill func(ctx context.Context, url string) error) string {
	t.Helper()
	server := ServerURL(t)
	v, _ := templates.LoadOrStore(name, &templateOnce{})
	o := v.(*templateOnce)
	o.once.Do(func() { o.err = makeTemplate(server, name, fill) })
	if o.err != nil {
		t.Fatalf("template database %s: %v", name, o.err)
	}
	return name
}

func makeTemplate(server, name string, fill func(ctx context.Context, url string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("connect test server: %w", err)
	}
	defer conn.Close(ctx)
	var there bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&there); err != nil || there {
		return err
	}
	// Filled under a name of its own, then renamed: nobody copies a
	// template half made, and of two processes filling at once one rename
	// wins (the other finds name taken and drops its own).
	own := "t_" + randomHex() + "_fill"
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+own); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	drop := func() { _, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+own+" WITH (FORCE)") }
	u, err := databaseURL(server, own)
	if err == nil {
		err = fill(ctx, u)
	}
	if err != nil {
		drop()
		return err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+own+" RENAME TO "+name); err != nil {
		drop()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: another process made it
			return nil
		}
		return fmt.Errorf("rename %s: %w", own, err)
	}
	return nil
}

// databaseURL is server's URL with the database name.
func databaseURL(server, name string) (string, error) {
	pu, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvVar, err)
	}
	pu.Path = "/" + name
	return pu.String(), nil
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
