package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/internal/poll"
)

// TestMigrateRunOnSQLAndRebuild runs the binary against a real PostgreSQL
// database: `helpline migrate`, then `helpline run` with SQL projections
// receiving a message (ready only once the projection follows the log),
// then `helpline projections rebuild`, which replays the log with a final
// rate.
func TestMigrateRunOnSQLAndRebuild(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dataDir := t.TempDir()
	env := append(os.Environ(), "HELPLINE_DATABASE_URL="+db, "HELPLINE_DATA_DIR="+dataDir, "HELPLINE_LOG_FORMAT=json")

	migrate := exec.Command(binary(t), "migrate")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(out), "migrations applied") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	p := startHelpline(t, dataDir, append(twilioEnv(), "HELPLINE_DATABASE_URL="+db)...)
	p.waitReady(t)
	if code := p.sms(t, "SM"+strings.Repeat("a", 32), "+447700900321", "hello, anyone there?"); code != http.StatusOK {
		t.Fatalf("sms: %d\n%s", code, p.logs())
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The live inbox projection follows the log into SQL: the message is
	// there, sealed, under the client's pseudonym.
	poll.Until(t, 15*time.Second, func() error {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM inbox.messages m JOIN inbox.conversations c USING (conversation_id)
			WHERE c.pseudonym LIKE 'C-%' AND m.body IS NOT NULL`).Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("%d inbox messages, %v", n, err)
		}
		return nil
	})
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()

	rebuild := exec.Command(binary(t), "projections", "rebuild")
	rebuild.Env = env
	out, err := rebuild.CombinedOutput()
	if err != nil || !regexp.MustCompile(`rebuilt projection-response-times: \d+ events in .* \(\d+ events/s\)`).Match(out) ||
		!regexp.MustCompile(`rebuilt projection-escalations: \d+ events`).Match(out) ||
		!regexp.MustCompile(`rebuilt projection-inbox: \d+ events`).Match(out) {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	one := exec.Command(binary(t), "projections", "rebuild", "inbox")
	one.Env = env
	if out, err := one.CombinedOutput(); err != nil || !regexp.MustCompile(`rebuilt projection-inbox: [1-9]\d* events`).Match(out) ||
		strings.Contains(string(out), "escalations") {
		t.Fatalf("rebuild inbox: %v\n%s", err, out)
	}
	var rows string
	if err := conn.QueryRow(ctx, `SELECT string_agg(t::text, ' ') FROM inbox.messages t`).Scan(&rows); err != nil ||
		strings.Contains(rows, "anyone there") || strings.Contains(rows, "447700900321") || !strings.Contains(rows, "sms-") {
		t.Fatalf("inbox rows after rebuild: %v\n%s", err, rows)
	}
	var seq int64
	if err := conn.QueryRow(ctx, "SELECT seq FROM projection_checkpoints WHERE name = 'projection-response-times'").Scan(&seq); err != nil || seq == 0 {
		t.Fatalf("checkpoint after rebuild: %d %v", seq, err)
	}

	noDB := exec.Command(binary(t), "projections", "rebuild")
	noDB.Env = append(os.Environ(), "HELPLINE_DATA_DIR="+dataDir)
	if out, err := noDB.CombinedOutput(); err == nil || !strings.Contains(string(out), "HELPLINE_DATABASE_URL") {
		t.Fatalf("rebuild without a database: %v\n%s", err, out)
	}
}
