package inbox

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// forbidden matches names that would hold contact details or plaintext.
// Workers see pseudonyms and, on demand, decrypted messages; the inbox
// keeps bodies only sealed (events.Sealed, BYTEA) and never a number.
var forbidden = regexp.MustCompile(`(?i)phone|number|contact|e_?mail|surname|address|plain|text|content`)

// bodyName matches names of sealed bodies, which must have a sealed type.
var bodyName = regexp.MustCompile(`(?i)body`)

// exportedTypes is every exported type of the package; the test below
// checks the list is complete.
var exportedTypes = []reflect.Type{
	reflect.TypeFor[Client](), reflect.TypeFor[ClientFlag](), reflect.TypeFor[Conversation](), reflect.TypeFor[Cursor](), reflect.TypeFor[Delivery](),
	reflect.TypeFor[MemoryStore](), reflect.TypeFor[Message](), reflect.TypeFor[Opener](), reflect.TypeFor[Query](),
	reflect.TypeFor[SQLStore](), reflect.TypeFor[Store](), reflect.TypeFor[Tx](), reflect.TypeFor[View](), reflect.TypeFor[Snapshot](),
}

// boundary is what a worker's inbox must not be able to hold: contact
// details and plaintext, and a body other than sealed.
var boundary = projectiontest.Boundary{
	Forbidden: forbidden,
	What:      "contact details or plaintext",
	Field: func(f reflect.StructField) string {
		if bodyName.MatchString(f.Name) && f.Type != reflect.TypeFor[events.Sealed]() {
			return "is a body but not events.Sealed"
		}
		return ""
	},
	Column: func(_, column, typ string) string {
		if column == "body" && typ != "bytea" {
			return "is " + typ + ": a sealed body is bytea"
		}
		return ""
	},
}

// TestNoContactOrPlaintext checks the package's types and the inbox
// schema's columns: none named for contact details or plaintext, and a
// body only as events.Sealed, stored as BYTEA.
func TestNoContactOrPlaintext(t *testing.T) { boundary.Check(t, exportedTypes, "inbox", 30) }

const (
	bedLine   = "+447700900001"
	bedConfig = `
lines:
  - id: day
    name: Day Line
    number: "` + bedLine + `"
    timezone: Europe/London
    first_response_target: 10m
    always_open: true
`
	clientPhone = "+447700900777"
	clientWords = "I took 30 paracetamol and nobody knows"
	workerWords = "Thank you for telling us. Are you safe right now?"
)

// TestPlaintextNeverReachesTheStore brings real SMS in through ingestion
// (which seals bodies and numbers with the client's key) and a worker
// reply sealed as the console will seal it, projects the real log into
// both stores, and looks through every stored byte: no body and no phone
// number in the clear, in memory or in any SQL row. Open then reads both
// bodies back with the keyring, and after the client is erased the bodies
// are gone and Open says keyring.ErrErased.
func TestPlaintextNeverReachesTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := testbed.New(t, bedConfig, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	rc := b.Text(t, clientPhone, bedLine, clientWords)
	b.Text(t, clientPhone, bedLine, "STOP")
	replyEvent := "reply-" + events.NewID()
	body, err := b.Keys.Seal(ctx, rc.ClientID, []byte(workerWords), events.BodyAAD(replyEvent))
	projectiontest.Must(t, err)
	reply, err := events.NewWithID(replyEvent, rc.ConversationID, events.ReplyRequested{ReplyID: "r1", StaffID: "alex", SenderName: "Alex",
		Body: events.Sealed{KeyID: rc.ClientID, Data: body}}, events.Meta{OccurredAt: b.Clock.Now()})
	projectiontest.Must(t, err)
	if _, err := b.Store.Append(ctx, events.ExpectAny, reply); err != nil {
		t.Fatal(err)
	}

	secrets := [][]byte{[]byte(clientWords), []byte(workerWords), []byte(clientPhone), []byte(clientPhone[1:]), []byte("paracetamol")}
	mem := NewMemoryStore()
	var pool *pgxpool.Pool
	views := map[string]*View{"memory": NewView(mem)}
	if os.Getenv("HELPLINE_TEST_DATABASE_URL") != "" || os.Getenv("CI") == "true" {
		pool = projectiontest.MigratedPool(t)
		views["postgres"] = NewView(NewSQLStore(pool))
	}
	for name, v := range views {
		if _, err := projections.NewRunner(b.Store, v, zerolog.Nop()).Replay(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := v.Get(ctx, rc.ConversationID)
		projectiontest.Must(t, err)
		if c.Pseudonym != rc.Pseudonym || c.Consent != events.ConsentOptedOut || c.Unread != 0 {
			t.Fatalf("%s: %+v", name, c)
		}
		msgs, err := v.Messages(ctx, rc.ConversationID)
		projectiontest.Must(t, err)
		var opened []string
		for _, m := range msgs {
			text, err := Open(ctx, b.Keys, c, m)
			if err != nil {
				t.Fatalf("%s: open %s: %v", name, m.ID, err)
			}
			opened = append(opened, m.Direction+": "+text)
		}
		if want := []string{"in: " + clientWords, "in: STOP", "out: " + workerWords}; !reflect.DeepEqual(opened, want) {
			t.Fatalf("%s: opened %q, want %q", name, opened, want)
		}
	}
	assertNoSecrets(t, "memory", storedBytes(reflect.ValueOf(mem).Elem()), secrets)
	if pool != nil {
		assertNoSecrets(t, "postgres", sqlRows(t, pool), secrets)
	}

	// Erase the client as `helpline clients erase` does: key first, then
	// the event.
	before, err := views["memory"].Get(ctx, rc.ConversationID)
	projectiontest.Must(t, err)
	beforeMsgs, err := views["memory"].Messages(ctx, rc.ConversationID)
	projectiontest.Must(t, err)
	projectiontest.Must(t, b.Keys.Erase(ctx, rc.ClientID))
	erase, err := events.NewWithID("erased-"+rc.ClientID, rc.ClientID, events.ClientErased{ByStaffID: "admin", Reason: "client request"},
		events.Meta{OccurredAt: b.Clock.Now()})
	projectiontest.Must(t, err)
	if _, err := b.Store.Append(ctx, events.ExpectAny, erase); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, b.Keys, before, beforeMsgs[0]); !errors.Is(err, keyring.ErrErased) {
		t.Fatalf("open with a row read before the erasure: %v, want ErrErased", err)
	}
	for name, v := range views {
		if _, err := projections.NewRunner(b.Store, v, zerolog.Nop()).Replay(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := v.Get(ctx, rc.ConversationID)
		projectiontest.Must(t, err)
		if !c.Erased || !reflect.DeepEqual(c.Flags, []string{FlagErased, FlagOptedOut}) {
			t.Fatalf("%s after erasure: %+v", name, c)
		}
		msgs, err := v.Messages(ctx, rc.ConversationID)
		projectiontest.Must(t, err)
		for _, m := range msgs {
			if m.Body.KeyID != "" || len(m.Body.Data) != 0 {
				t.Fatalf("%s: message %s keeps its sealed body after erasure", name, m.ID)
			}
			if _, err := Open(ctx, b.Keys, c, m); !errors.Is(err, keyring.ErrErased) {
				t.Fatalf("%s: open %s after erasure: %v, want ErrErased", name, m.ID, err)
			}
		}
	}
	if pool != nil {
		var n int
		projectiontest.Must(t, pool.QueryRow(ctx, `SELECT count(*) FROM inbox.messages WHERE body IS NOT NULL OR body_key_id <> ''`).Scan(&n))
		if n != 0 {
			t.Fatalf("%d sealed bodies left in SQL after erasure", n)
		}
	}
}

// storedBytes returns every string and byte slice reachable from v.
func storedBytes(v reflect.Value) [][]byte {
	var out [][]byte
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			out = append(out, []byte(v.String()))
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				out = append(out, v.Bytes())
				return
			}
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Key())
				walk(it.Value())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		}
	}
	walk(v)
	if len(out) < 20 {
		panic(fmt.Sprintf("only %d values seen in the memory store", len(out)))
	}
	return out
}

// sqlRows returns every row of every table of the inbox schema as text
// (bytea as hex, which assertNoSecrets also looks for).
func sqlRows(t testing.TB, pool *pgxpool.Pool) [][]byte {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'inbox'`)
	projectiontest.Must(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	projectiontest.Must(t, err)
	var out [][]byte
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT t::text FROM inbox.`+pgx.Identifier{table}.Sanitize()+` t`)
		projectiontest.Must(t, err)
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		projectiontest.Must(t, err)
		for _, s := range texts {
			out = append(out, []byte(s))
		}
	}
	if len(out) < 4 {
		t.Fatalf("only %d rows in the inbox schema", len(out))
	}
	return out
}

func assertNoSecrets(t testing.TB, where string, stored, secrets [][]byte) {
	t.Helper()
	for _, s := range secrets {
		hexed := []byte(hex.EncodeToString(s))
		for _, v := range stored {
			if bytes.Contains(v, s) || bytes.Contains(bytes.ToLower(v), hexed) {
				t.Fatalf("%s: the store holds %q in the clear", where, s)
			}
		}
	}
}
