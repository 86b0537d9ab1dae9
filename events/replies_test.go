package events_test

import (
	"context"
	"errors"
	"testing"

	"github.com/helpline-org/helpline/events"
)

func defaultReplies(string) []events.SavedReply {
	return []events.SavedReply{
		{Language: "en", Shortcut: "safety", Title: "Safety plan", Text: "Can we make a plan to keep you safe tonight?"},
		{Language: "es", Shortcut: "safety", Title: "Plan de seguridad", Text: "¿Hacemos juntos un plan para que estés a salvo esta noche?"},
	}
}

func TestReplyBookRefusesBadReplies(t *testing.T) {
	ok := events.SavedReply{Language: "en", Shortcut: "breathe", Title: "Breathing", Text: "Breathe in for four."}
	long := make([]rune, events.MaxSavedReplyText+1)
	for i := range long {
		long[i] = 'é'
	}
	for _, tc := range []struct {
		name   string
		change func(*events.SavedReply)
	}{
		{"no language", func(r *events.SavedReply) { r.Language = "" }},
		{"language not a code", func(r *events.SavedReply) { r.Language = "English" }},
		{"shortcut with a slash", func(r *events.SavedReply) { r.Shortcut = "/breathe" }},
		{"shortcut in capitals", func(r *events.SavedReply) { r.Shortcut = "Breathe" }},
		{"shortcut with a space", func(r *events.SavedReply) { r.Shortcut = "slow down" }},
		{"blank title", func(r *events.SavedReply) { r.Title = "  " }},
		{"blank text", func(r *events.SavedReply) { r.Text = "\n" }},
		{"text too long", func(r *events.SavedReply) { r.Text = string(long) }},
		{"shortcut taken in the language", func(r *events.SavedReply) { r.Shortcut = "safety" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := events.NewReplyBook("main", defaultReplies("main"))
			r := ok
			tc.change(&r)
			if err := b.Add("ada", r, events.Meta{OccurredAt: t0}); !errors.Is(err, events.ErrInvalidCommand) {
				t.Fatalf("Add = %v, want ErrInvalidCommand", err)
			}
			if len(b.Pending()) != 0 || len(b.Active()) != 2 {
				t.Fatalf("a refused reply changed the book: %d pending, %d active", len(b.Pending()), len(b.Active()))
			}
		})
	}
}

func TestReplyBookShortcutIsPerLanguage(t *testing.T) {
	b := events.NewReplyBook("main", defaultReplies("main"))
	fr := events.SavedReply{Language: "fr", Shortcut: "safety", Title: "Plan de sécurité", Text: "Faisons un plan ensemble ?"}
	if err := b.Add("ada", fr, events.Meta{OccurredAt: t0}); err != nil {
		t.Fatalf("the same shortcut in another language: %v", err)
	}
	// A removed reply frees its shortcut.
	if err := b.Remove("ada", "en-safety", events.Meta{OccurredAt: t0}); err != nil {
		t.Fatal(err)
	}
	en := events.SavedReply{Language: "en", Shortcut: "safety", Title: "New plan", Text: "Let's plan."}
	if err := b.Add("ada", en, events.Meta{OccurredAt: t0}); err != nil {
		t.Fatalf("a removed reply's shortcut: %v", err)
	}
}

// TestReplyBooksKeepChangesInTheLog changes a line's saved replies through
// one repository and reads them through another over the same log, as a
// restarted or second console would: edits of a default, removals and
// additions hold, a double submission adds one reply, and the same edit
// twice records one event.
func TestReplyBooksKeepChangesInTheLog(t *testing.T) {
	ctx := context.Background()
	s := newStoreOnFreshServer(t)
	books := events.NewReplyBooks(s, defaultReplies)
	m := events.Meta{OccurredAt: t0}
	added := events.SavedReply{ID: "form1", Language: "fr", Shortcut: "respirer", Title: "Respirer", Text: "Respirons ensemble."}
	for range 2 {
		if _, err := books.Update(ctx, "main", func(b *events.ReplyBook) error { return b.Add("ada", added, m) }); err != nil {
			t.Fatal(err)
		}
	}
	edit := events.SavedReply{ID: "en-safety", Language: "en", Shortcut: "plan", Title: "Safety plan", Text: "Shall we plan your night?"}
	for range 2 {
		if _, err := books.Update(ctx, "main", func(b *events.ReplyBook) error { return b.Edit("ada", edit, m) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := books.Update(ctx, "main", func(b *events.ReplyBook) error { return b.Remove("ada", "es-safety", m) }); err != nil {
		t.Fatal(err)
	}
	_, err := books.Update(ctx, "main", func(b *events.ReplyBook) error { return b.Remove("ada", "nope", m) })
	if !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("removing an unknown reply: %v, want ErrNotFound", err)
	}

	again, err := events.NewReplyBooks(s, defaultReplies).Load(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range again.Active() {
		got = append(got, r.ID+" /"+r.Shortcut+" "+r.Text)
	}
	want := []string{"en-safety /plan Shall we plan your night?", "form1 /respirer Respirons ensemble."}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("after a reload: %q, want %q", got, want)
	}
	if again.Version != 3 {
		t.Fatalf("version %d: want 3 events (one add, one edit, one removal)", again.Version)
	}
	other, err := events.NewReplyBooks(s, defaultReplies).Load(ctx, "other")
	if err != nil || len(other.Active()) != 2 {
		t.Fatalf("another line keeps its defaults: %v, %d replies", err, len(other.Active()))
	}
}
