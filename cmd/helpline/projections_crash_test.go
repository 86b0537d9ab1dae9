package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/deploy"
	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// crashLine is the line of the crash test's conversations. No line of the
// configuration has this id, so triage and notification refuse its events
// at once (dead-lettered, into another stream): the domain log stays
// exactly as the test wrote it, and the projections are what is tested.
const crashLine = "crashline"

// TestProjectorKilledMidReplayAndMidRebuild is the projections issue's
// crash test, with the real binary, a real embedded log and a real
// PostgreSQL:
//
//  1. the live catch-up path: `helpline run --migrate` replays a log of a
//     few thousand events into the SQL projections one transaction per
//     event; it is SIGKILLed once the inbox's checkpoint has moved but not
//     finished, restarted, and catches up;
//  2. the rebuild path: `helpline projections rebuild` is SIGKILLed once
//     its first projection is swapped in and while the others are being
//     rebuilt, then run again to the end.
//
// After each step every projection's SQL state (all its rows, read back
// through the store's Export) equals the state of one clean pass of the
// same log in memory, applied event by event.
func TestProjectorKilledMidReplayAndMidRebuild(t *testing.T) {
	t.Parallel()
	// A bound for a hung process, not a guess at speed: on a loaded
	// two-core machine the catch-ups alone take most of a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	db := pgtest.NewDatabase(t)
	dataDir := t.TempDir()
	clean, last := fillCrashLog(t, dataDir, 600)

	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	env := append(os.Environ(), "HELPLINE_DATABASE_URL="+db, "HELPLINE_DATA_DIR="+dataDir, "HELPLINE_LOG_FORMAT=json",
		"HELPLINE_SHUTDOWN_TIMEOUT=2s")
	env = append(env, twilioEnv()...)
	checkpoint := func(name string) uint64 {
		cp, err := projections.ReadCheckpoint(ctx, pool, name)
		if err != nil && !strings.Contains(err.Error(), "does not exist") { // before the migration
			t.Fatal(err)
		}
		return cp
	}

	// 1. Killed mid catch-up, a third of the way through the inbox (caught
	// up last, after the response times and the escalation queue).
	run := startGroup(t, env, "run", "--migrate", "--http", freeAddr(t))
	waitFor(t, ctx, run, func() bool { cp := checkpoint(inbox.Name); return cp > last/3 && cp < last })
	run.kill(t)
	if cp := checkpoint(inbox.Name); cp == 0 || cp >= last {
		t.Fatalf("inbox checkpoint %d after the kill: want part-way to %d", cp, last)
	}
	t.Logf("killed helpline run with the inbox at seq %d of %d", checkpoint(inbox.Name), last)

	addr := freeAddr(t)
	run = startGroup(t, env, "run", "--http", addr)
	poll.Until(t, 2*time.Minute, func() error { return sameAsClean(ctx, pool, clean) })
	// Stopped once ready (the live consumers are following the log): a
	// stop while the router still subscribes exits 1 ("context canceled").
	(&proc{addr: addr}).waitReady(t)
	run.stop(t)
	if err := sameAsClean(ctx, pool, clean); err != nil {
		t.Fatalf("after catch-up and a clean stop: %v", err)
	}

	// 2. Killed mid rebuild: after the first swap, before the last.
	rebuild := startGroup(t, env, "projections", "rebuild")
	waitFor(t, ctx, rebuild, func() bool { return strings.Contains(rebuild.out(), "rebuilt "+responsetimes.Name) })
	rebuild.kill(t)
	if out := rebuild.out(); strings.Contains(out, "rebuilt "+inbox.Name) {
		t.Fatalf("the rebuild finished before the kill:\n%s", out)
	}
	t.Logf("killed helpline projections rebuild after:\n%s", rebuild.out())
	if err := sameAsClean(ctx, pool, clean); err != nil {
		t.Fatalf("after a rebuild killed half-way (readers must see whole projections): %v", err)
	}
	rebuild = startGroup(t, env, "projections", "rebuild")
	if err := rebuild.wait(ctx); err != nil {
		t.Fatalf("rebuild: %v\n%s\n%s", err, rebuild.out(), rebuild.logs())
	}
	for _, name := range []string{responsetimes.Name, escalations.Name, inbox.Name} {
		if !strings.Contains(rebuild.out(), "rebuilt "+name) {
			t.Fatalf("rebuild output:\n%s", rebuild.out())
		}
	}
	if err := sameAsClean(ctx, pool, clean); err != nil {
		t.Fatalf("after the rebuild: %v", err)
	}
	t.Logf("rebuilt again:\n%s", rebuild.out())
	if got := len(readLog(t, dataDir)); got != int(last) {
		t.Fatalf("the log holds %d events, the test wrote %d: the clean pass is not of the same log", got, last)
	}
}

// cleanState is every projection's state after one clean pass.
type cleanState struct {
	rt  responsetimes.Snapshot
	esc escalations.Snapshot
	in  inbox.Snapshot
}

// fillCrashLog writes n conversations' worth of events (about ten each)
// into the embedded log in dir, then builds every projection from that log
// in memory, event by event (the per-event path, not the rebuild), and
// returns the states and the last sequence. The log ends with an event
// every projection applies, so a caught-up checkpoint is the same
// whichever path reached it.
func fillCrashLog(t *testing.T, dir string, n int) (cleanState, uint64) {
	t.Helper()
	ctx := context.Background()
	var (
		clean cleanState
		last  uint64
	)
	withPlatform(t, dir, func(p *platform.Platform) {
		s := p.Store
		add := func(agg string, at time.Time, p events.Payload) {
			e, err := events.New(agg, p, events.Meta{OccurredAt: at})
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.Append(ctx, events.ExpectAny, e)
			if err != nil {
				t.Fatal(err)
			}
			last = a[0].Seq
		}
		start := time.Date(2026, 3, 2, 8, 0, 0, 123456789, time.UTC) // nanoseconds, which SQL does not keep
		for i := range n {
			conv, client := fmt.Sprintf("crashc%04d", i), fmt.Sprintf("crashk%04d", i/2) // two conversations a client
			t0 := start.Add(time.Duration(i) * 13 * time.Second)
			sealed := func(what string) events.Sealed {
				return events.Sealed{KeyID: client, Data: []byte("not really sealed: " + what)}
			}
			add(conv, t0, events.ConversationStarted{LineID: crashLine, ClientID: client, Pseudonym: fmt.Sprintf("C-CR%04d", i), Channel: events.ChannelSMS})
			add(conv, t0.Add(time.Second), events.MessageReceived{MessageID: "m1", LineID: crashLine, ClientID: client, Channel: events.ChannelSMS,
				ProviderMessageID: "SMin" + conv, Body: sealed("m1"), ReceivedAt: t0.Add(time.Second)})
			risk := events.RiskNone
			var matches []events.TriageMatch
			if i%7 == 0 {
				risk, matches = events.RiskCrisis, []events.TriageMatch{{Category: "overdose_means", Language: "en", Weight: 3}}
			}
			add(conv, t0.Add(2*time.Second), events.MessageTriaged{MessageID: "m1", Risk: risk, Matches: matches, OutOfHours: i%9 == 0})
			if i%5 == 0 {
				esc := "esc-" + conv
				add(conv, t0.Add(3*time.Second), events.EscalationRaised{EscalationID: esc, LineID: crashLine, MessageID: "m1",
					Reason: events.ReasonCrisis, Risk: events.RiskCrisis, Categories: []string{"overdose_means"}, Terms: events.Sealed{KeyID: client, Data: []byte("sealed terms")}})
				add(conv, t0.Add(4*time.Second), events.EscalationPaged{EscalationID: esc, StaffID: "sam", LevelName: "duty", Round: 1})
				if i%10 == 0 {
					add(conv, t0.Add(time.Duration(i%120)*time.Second+5*time.Second), events.EscalationAcknowledged{EscalationID: esc, StaffID: "sam"})
				}
			}
			if i%11 == 0 {
				add(client, t0.Add(6*time.Second), events.ConsentChanged{LineID: crashLine, Consent: events.ConsentOptedOut, Keyword: events.Sealed{KeyID: client, Data: []byte("sealed STOP")}})
			}
			reply := t0.Add(time.Duration(i%600)*time.Second + 7*time.Second)
			add(conv, reply, events.ReplyRequested{ReplyID: "r1", StaffID: "alex", SenderName: "Alex", Body: sealed("r1")})
			if i%5 == 0 && i%10 != 0 {
				// A reply in an escalated conversation acknowledges it
				// (Conversation.RequestReply records both): without it the
				// live notification service would complete the log.
				add(conv, reply, events.EscalationAcknowledged{EscalationID: "esc-" + conv, StaffID: "alex", Via: events.AckReply})
			}
			add(conv, reply.Add(time.Second), events.MessageSent{SendID: "r1", Kind: events.SendReply, Recipient: "client", ProviderMessageID: "SMr" + conv})
			add(conv, reply.Add(2*time.Second), events.DeliveryStatusChanged{ProviderMessageID: "SMr" + conv, Status: "delivered"})
			add(conv, reply.Add(3*time.Second), events.MessageReceived{MessageID: "m2", LineID: crashLine, ClientID: client, Channel: events.ChannelSMS,
				Body: sealed("m2"), ReceivedAt: reply.Add(3 * time.Second)})
			if i%3 == 0 {
				add(conv, reply.Add(4*time.Second), events.ConversationAssigned{AssigneeID: "alex", TeamID: "day", ByStaffID: "sam"})
			}
			if i%2 == 0 || i == n-1 {
				add(conv, reply.Add(time.Hour), events.ConversationClosed{ByStaffID: "alex"})
			}
		}

		// One clean pass, event by event, in memory.
		file, err := config.ParseFile(deploy.ExampleConfig)
		if err != nil {
			t.Fatal(err)
		}
		targets := app.ResponseTargets(file)
		rt, esc, in := responsetimes.NewMemoryStore(), escalations.NewMemoryStore(), inbox.NewMemoryStore()
		for _, p := range []projections.Projection{responsetimes.NewView(rt, targets), escalations.NewQueue(esc), inbox.NewView(in)} {
			if _, err := projections.NewRunner(s, p, zerolog.Nop()).Replay(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var errs [3]error
		clean.rt, errs[0] = rt.Export(ctx, responsetimes.Name)
		clean.esc, errs[1] = esc.Export(ctx, escalations.Name)
		clean.in, errs[2] = in.Export(ctx, inbox.Name)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	if clean.rt.Checkpoint != last || clean.esc.Checkpoint != last || clean.in.Checkpoint != last ||
		len(clean.esc.Escalations) == 0 || len(clean.in.Conversations) != n || len(clean.rt.Hours) == 0 {
		t.Fatalf("clean pass of %d events: %d hours, %d escalations, %d conversations, checkpoints %d %d %d",
			last, len(clean.rt.Hours), len(clean.esc.Escalations), len(clean.in.Conversations),
			clean.rt.Checkpoint, clean.esc.Checkpoint, clean.in.Checkpoint)
	}
	return clean, last
}

// sameAsClean compares every projection's SQL state, checkpoint included,
// with the clean pass.
func sameAsClean(ctx context.Context, pool *pgxpool.Pool, clean cleanState) error {
	rt, err := responsetimes.NewSQLStore(pool).Export(ctx, responsetimes.Name)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(rt, clean.rt) {
		return fmt.Errorf("response times differ from the clean pass (checkpoint %d, want %d)", rt.Checkpoint, clean.rt.Checkpoint)
	}
	esc, err := escalations.NewSQLStore(pool).Export(ctx, escalations.Name)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(esc, clean.esc) {
		return fmt.Errorf("escalation queue differs from the clean pass (checkpoint %d, want %d)", esc.Checkpoint, clean.esc.Checkpoint)
	}
	in, err := inbox.NewSQLStore(pool).Export(ctx, inbox.Name)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(in, clean.in) {
		return fmt.Errorf("inbox differs from the clean pass (checkpoint %d, want %d)", in.Checkpoint, clean.in.Checkpoint)
	}
	return nil
}

// groupProc is a helpline process in its own process group, so that a
// kill reaches everything it started; the test's cleanup kills the group
// whatever happens.
type groupProc struct {
	cmd    *exec.Cmd
	stdout *bytes.Buffer
	stderr *bytes.Buffer
	done   chan error
	mu     sync.Mutex // guards stdout and stderr
}

func startGroup(t *testing.T, env []string, args ...string) *groupProc {
	t.Helper()
	g := &groupProc{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	g.cmd = exec.Command(binary(t), args...)
	g.cmd.Dir = t.TempDir() // the built-in example configuration
	g.cmd.Env = env
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	g.cmd.Stderr = &lockedWriter{w: g.stderr, mu: &g.mu}
	out, err := g.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		// Line by line, so that a test waiting for a line sees it at once.
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			g.mu.Lock()
			g.stdout.WriteString(sc.Text() + "\n")
			g.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, out)
		close(copied)
	}()
	go func() { <-copied; g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
		<-copied
	})
	return g
}

func (g *groupProc) out() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stdout.String()
}

func (g *groupProc) logs() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stderr.String()
}

// kill sends SIGKILL to the whole group and waits for the process.
func (g *groupProc) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-g.done
	g.done <- nil // later waits return at once
}

// stop sends SIGINT and waits for a clean exit.
func (g *groupProc) stop(t *testing.T) {
	t.Helper()
	_ = g.cmd.Process.Signal(os.Interrupt)
	if err := g.wait(context.Background()); err != nil {
		t.Fatalf("stop: %v\n%s", err, g.logs())
	}
}

// wait waits for the process to exit, or for ctx.
func (g *groupProc) wait(ctx context.Context) error {
	select {
	case err := <-g.done:
		g.done <- err
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitFor polls cond every two milliseconds (a kill must land inside a
// window of about a second) until it holds; it fails if the process exits
// first or ctx ends.
func waitFor(t *testing.T, ctx context.Context, g *groupProc, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case err := <-g.done:
			g.done <- err
			t.Fatalf("%s exited (%v) before the moment to kill it\nstdout:\n%s\nstderr:\n%s", g.cmd.Args, err, g.out(), g.logs())
		case <-ctx.Done():
			t.Fatalf("%s: %v before the moment to kill it\nstdout:\n%s", g.cmd.Args, ctx.Err(), g.out())
		case <-tick.C:
		}
	}
}
