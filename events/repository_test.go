package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// replicas returns a store on a real server holding conversation id with
// an open crisis escalation e1, and n repositories over it, each with its
// own cache, like n replicas of a service.
func replicas(t *testing.T, n int, id string) (*events.Store, []*events.Conversations) {
	t.Helper()
	s := newStoreOnFreshServer(t)
	out := make([]*events.Conversations, n)
	for i := range out {
		r, err := events.NewConversations(s, 16)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	raised(t, s, id, "e1")
	return s, out
}

// raised appends a started conversation with one open crisis escalation.
func raised(t *testing.T, s *events.Store, convID, escID string) {
	t.Helper()
	esc, err := events.New(convID, events.EscalationRaised{EscalationID: escID, LineID: "main", Reason: events.ReasonCrisis,
		Risk: events.RiskCrisis, Categories: []string{}, Terms: events.NoWords()}, events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), events.ExpectNew, started(t, convID), esc); err != nil {
		t.Fatal(err)
	}
}

// race runs one Update per staff member on conversation id, each through
// its own replica, holding each decider after its first load until all
// have loaded: their first appends then all expect the same version, and
// all but one conflict. It returns each Update's error and how often each
// decided.
func race(repos []*events.Conversations, id string, staff []string, decide func(c *events.Conversation, staff string) error) ([]error, []int) {
	var loaded, done sync.WaitGroup
	loaded.Add(len(staff))
	errs, calls := make([]error, len(staff)), make([]int, len(staff))
	for i, who := range staff {
		done.Go(func() {
			_, errs[i] = repos[i].Update(context.Background(), id, func(c *events.Conversation) error {
				if calls[i]++; calls[i] == 1 {
					loaded.Done()
					loaded.Wait()
				}
				return decide(c, who)
			})
		})
	}
	done.Wait()
	return errs, calls
}

func history(t *testing.T, s *events.Store, id string) []events.Envelope {
	t.Helper()
	h, _, err := s.Load(context.Background(), events.AggregateConversation, id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func types(es []events.Envelope) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

func TestUpdatesRacingOnOneConversationBothLand(t *testing.T) {
	t.Parallel()
	const id = "conv-repo-race"
	s, repos := replicas(t, 2, id)
	ctx := context.Background()
	errs, calls := race(repos, id, []string{"alex", "sam"}, func(c *events.Conversation, staff string) error {
		return c.Assign(staff, "", staff, events.Meta{OccurredAt: t0})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if calls[0]+calls[1] < 3 {
		t.Fatalf("decided %d and %d times: one of two racing appends must have conflicted and decided again", calls[0], calls[1])
	}
	h := history(t, s, id)
	if got := types(h); len(got) != 4 || got[2] != events.TypeConversationAssigned || got[3] != events.TypeConversationAssigned {
		t.Fatalf("history %v: want both assignments after the escalation", got)
	}
	// Each replica's cache now sees the conversation as the log has it.
	for i, r := range repos {
		conv, err := r.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if conv.Version != h[3].Sequence {
			t.Errorf("replica %d at version %d, want %d", i, conv.Version, h[3].Sequence)
		}
	}
}

func TestDecisionInvalidAfterReloadAppendsNothing(t *testing.T) {
	t.Parallel()
	const id = "conv-repo-ack"
	s, repos := replicas(t, 2, id)
	errs, _ := race(repos, id, []string{"alex", "sam"}, func(c *events.Conversation, staff string) error {
		return c.Acknowledge("e1", staff, events.Meta{OccurredAt: t0})
	})
	won, lost := 0, 0
	for _, err := range errs {
		var already *events.AlreadyAcknowledgedError
		switch {
		case err == nil:
			won++
		case errors.As(err, &already) && errors.Is(err, events.ErrAlreadyAcknowledged):
			lost++
		default:
			t.Fatalf("acknowledge: %v", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d won, %d told who got there first; want 1 and 1", won, lost)
	}
	if got := types(history(t, s, id)); len(got) != 3 || got[2] != events.TypeEscalationAcknowledged {
		t.Fatalf("history %v: want one acknowledgement", got)
	}
}

func TestUpdateWithoutEventsAppendsNothing(t *testing.T) {
	t.Parallel()
	const id = "conv-repo-noop"
	s, repos := replicas(t, 1, id)
	ctx := context.Background()
	saved, err := repos[0].Update(ctx, id, func(*events.Conversation) error { return nil })
	if err != nil || len(saved.Appended) != 0 || saved.Duplicate() || saved.State.Version != 2 {
		t.Fatalf("no-op update: %+v, %v", saved, err)
	}
	refused := errors.New("refused")
	_, err = repos[0].Update(ctx, id, func(c *events.Conversation) error {
		if err := c.Assign("alex", "", "alex", events.Meta{OccurredAt: t0}); err != nil {
			return err
		}
		return refused // a decision that fails after recording keeps nothing
	})
	if !errors.Is(err, refused) {
		t.Fatalf("update: %v, want the decision's error", err)
	}
	if n := len(history(t, s, id)); n != 2 {
		t.Fatalf("%d events, want the 2 before the updates", n)
	}
}

func TestConflictsAreRetriedABoundedNumberOfTimes(t *testing.T) {
	t.Parallel()
	const id = "conv-repo-bounded"
	s, repos := replicas(t, 1, id)
	ctx := context.Background()
	calls := 0
	start := time.Now()
	_, err := repos[0].Update(ctx, id, func(c *events.Conversation) error {
		calls++
		// Someone else writes between every load and append.
		other, err := events.New(id, events.ConversationAssigned{AssigneeID: "sam", ByStaffID: "sam"}, events.Meta{OccurredAt: t0})
		if err != nil {
			return err
		}
		if _, err := s.Append(ctx, events.ExpectAny, other); err != nil {
			return err
		}
		return c.Close("alex", events.WrapUp{Outcome: "supported", SeenSeq: c.Version}, testTaxonomy{}, events.Meta{OccurredAt: t0})
	})
	if !errors.Is(err, events.ErrConcurrency) {
		t.Fatalf("update: %v, want ErrConcurrency", err)
	}
	// At least ConflictAttempts tries and ConflictPatience of trying, at
	// most ConflictMaxAttempts tries.
	if calls < events.ConflictAttempts || calls > events.ConflictMaxAttempts {
		t.Fatalf("decided %d times, want %d to %d", calls, events.ConflictAttempts, events.ConflictMaxAttempts)
	}
	if took := time.Since(start); took < events.ConflictPatience && calls < events.ConflictMaxAttempts {
		t.Fatalf("gave up after %d tries and %v, before the policy's patience (%v)", calls, took, events.ConflictPatience)
	}
	for _, e := range history(t, s, id) {
		if e.Type == events.TypeConversationClosed {
			t.Fatal("a conflicting close was appended")
		}
	}
}

func TestWorkersRegisterOnceAndChange(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	r := events.NewWorkers(s)
	ctx := context.Background()
	m := events.Meta{OccurredAt: t0}
	register := func(w *events.Worker) error {
		return w.Register("Sam Okafor", "$argon2id$hash", events.RoleDuty, "ada", m)
	}
	if _, err := r.Update(ctx, "sam", register); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, "sam", register); !errors.Is(err, events.ErrWorkerExists) {
		t.Fatalf("second registration: %v, want ErrWorkerExists", err)
	}
	if _, err := r.Update(ctx, "nobody", func(w *events.Worker) error { return w.Grant(events.RoleAdmin, "ada", m) }); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("grant to no account: %v, want ErrNotFound", err)
	}
	if _, err := r.Update(ctx, "sam", func(w *events.Worker) error { return w.Grant("overlord", "ada", m) }); !errors.Is(err, events.ErrUnknownRole) {
		t.Fatalf("unknown role: %v", err)
	}
	// Nobody gives themselves a role that reads content; others may.
	for _, role := range []string{events.RoleWorker} {
		if _, err := r.Update(ctx, "sam", func(w *events.Worker) error { return w.Grant(role, "sam", m) }); !errors.Is(err, events.ErrSelfGrant) {
			t.Fatalf("self-grant of %s: %v, want ErrSelfGrant", role, err)
		}
	}
	for _, change := range []func(*events.Worker) error{
		func(w *events.Worker) error { return w.Grant(events.RoleManager, "ada", m) },
		func(w *events.Worker) error { return w.Revoke(events.RoleDuty, "ada", m) },
		func(w *events.Worker) error { return w.ChangePassword("$argon2id$other", "sam", m) },
		func(w *events.Worker) error { return w.Disable("ada", "left", m) },
		func(w *events.Worker) error { return w.Disable("ada", "left", m) }, // already: records nothing
	} {
		if _, err := r.Update(ctx, "sam", change); err != nil {
			t.Fatal(err)
		}
	}
	w, err := r.Load(ctx, "sam")
	if err != nil {
		t.Fatal(err)
	}
	if !w.Registered || w.Name != "Sam Okafor" || w.PasswordHash != "$argon2id$other" || !w.Disabled ||
		len(w.Roles) != 1 || !w.Has(events.RoleManager) || w.Version == 0 {
		t.Fatalf("account: %+v", w)
	}
	h, _, err := s.Load(ctx, events.AggregateWorker, "sam")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 6 {
		t.Fatalf("%d worker events, want 6 (registered, granted, granted, revoked, password, disabled)", len(h))
	}
}

func TestCreateOnAnExistingAggregateGoesOnAsUpdate(t *testing.T) {
	t.Parallel()
	const id = "conv-repo-create"
	s, repos := replicas(t, 1, id)
	ctx := context.Background()
	// Acknowledging fails on an empty conversation: Create loads and
	// decides again on the one in the log.
	saved, err := repos[0].Create(ctx, id, func(c *events.Conversation) error {
		return c.Acknowledge("e1", "sam", events.Meta{OccurredAt: t0})
	})
	if err != nil || len(saved.Appended) != 1 || !saved.State.Escalations["e1"].Acknowledged {
		t.Fatalf("create on an existing conversation: %+v, %v", saved, err)
	}
	// Starting a started conversation again is the same event: one start.
	start := func(c *events.Conversation) error {
		return c.Start("main", "c1", "C-AAAA", events.ChannelSMS, events.Meta{OccurredAt: t0})
	}
	if _, err := repos[0].Create(ctx, "conv-repo-new", start); err != nil {
		t.Fatal(err)
	}
	if saved, err := repos[0].Create(ctx, "conv-repo-new", start); err != nil || (len(saved.Appended) > 0 && !saved.Duplicate()) {
		t.Fatalf("second start: %+v, %v", saved, err)
	}
	if got := types(history(t, s, "conv-repo-new")); len(got) != 1 {
		t.Fatalf("history %v: want one start", got)
	}
}

func TestClientsRegisterOnceUnderRace(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	r := events.NewClients(s)
	ctx := context.Background()
	m := events.Meta{OccurredAt: t0}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = r.Create(ctx, "k-race", func(c *events.Client) error {
				return c.Register("main", "C-RACE", events.ChannelSMS, events.Sealed{KeyID: "k-race", Data: []byte{1}}, m)
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Update(ctx, "k-race", func(c *events.Client) error {
		return c.ChangeConsent(events.ConsentOptedOut, events.Sealed{KeyID: "k-race", Data: []byte("sealed")}, "m1", m)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, "k-race", func(c *events.Client) error { return c.Erase("ada", "asked", m) }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, "k-race", func(c *events.Client) error { return c.Erase("ada", "asked", m) }); err != nil {
		t.Fatal(err)
	}
	h, _, err := s.Load(ctx, events.AggregateClient, "k-race")
	if err != nil {
		t.Fatal(err)
	}
	if got := types(h); len(got) != 3 || got[0] != events.TypeClientRegistered || got[1] != events.TypeConsentChanged || got[2] != events.TypeClientErased {
		t.Fatalf("history %v: want registered once, opted out, erased once", got)
	}
}
