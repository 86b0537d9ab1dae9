package keyring

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// Pinned values: client ids are aggregate ids in the log and must never
// change for a given master key.
const (
	// Checked against an independent Python computation (hmac, hashlib).
	goldenKEKPrefix = "3759743036e2e718"
	goldenClientID  = "6hje7zxhwgub2yvyhlggslwhle"
	goldenDisplay   = "C-5JKX07"
)

var (
	clientIDPattern = regexp.MustCompile(`^[a-z2-7]{26}$`)
	displayPattern  = regexp.MustCompile(`^C-[0-9A-HJKMNP-TV-Z]+$`)
)

func TestClientIDStableAndDistinct(t *testing.T) {
	t.Parallel()
	p := NewPseudonymizer(testMaster(1))
	const line, number = "line-1", "+447700900123"
	id := p.ClientID(line, number)
	if id != goldenClientID {
		t.Fatalf("ClientID changed: %s", id)
	}
	if !clientIDPattern.MatchString(id) || len(id) != ClientIDLen {
		t.Fatalf("ClientID %q is not 26 lowercase base32 characters", id)
	}
	if NewPseudonymizer(testMaster(1)).ClientID(line, number) != id {
		t.Fatal("not stable across instances")
	}
	others := map[string]string{
		"another line":       p.ClientID("line-2", number),
		"another number":     p.ClientID(line, "+447700900124"),
		"another master":     NewPseudonymizer(testMaster(2)).ClientID(line, number),
		"generation 1":       p.ClientIDGeneration(line, number, 1),
		"line/number shift":  p.ClientID("line-1+4", "47700900123"),
		"empty line":         p.ClientID("", number),
		"generation 1 other": p.ClientIDGeneration("line-2", number, 1),
	}
	seen := map[string]string{id: "original"}
	for what, other := range others {
		if prev, dup := seen[other]; dup {
			t.Errorf("%s gives the same id as %s", what, prev)
		}
		seen[other] = what
	}
	if p.ClientIDGeneration(line, number, 0) != id {
		t.Fatal("generation 0 is not ClientID")
	}
}

func TestClientIDNormalisesNumber(t *testing.T) {
	t.Parallel()
	p := NewPseudonymizer(testMaster(1))
	want := p.ClientID("line-1", "+447700900123")
	for _, n := range []string{"+44 7700 900123", "+44-7700-900-123", "+44 (7700) 900.123", " +447700900123\n", "+44\u00a07700900123"} {
		if got := p.ClientID("line-1", n); got != want {
			t.Errorf("ClientID(%q) differs from the plain E.164 form", n)
		}
	}
}

func TestNormalizeE164(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"+447700900123", "+447700900123", true},
		{"+1 (415) 555-0100", "+14155550100", true},
		{"+6831234", "+6831234", true},
		{"+123456789012345", "+123456789012345", true},
		{"+1234567890123456", "", false}, // 16 digits
		{"+123456", "", false},           // 6 digits
		{"447700900123", "", false},      // no +
		{"+047700900123", "", false},     // country code 0
		{"+44 7700 9001x3", "", false},
		{"+44+7700900123", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeE164(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeE164(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
			t.Errorf("error repeats the number: %v", err)
		}
	}
}

func TestDisplay(t *testing.T) {
	t.Parallel()
	p := NewPseudonymizer(testMaster(1))
	id := p.ClientID("line-1", "+447700900123")
	if got := p.Display(id, 0); got != goldenDisplay {
		t.Fatalf("Display changed: %s", got)
	}
	tests := []struct{ n, want int }{{0, 6}, {-3, 6}, {4, 4}, {6, 6}, {12, 12}, {51, 51}, {200, 51}}
	for _, tt := range tests {
		d := p.Display(id, tt.n)
		if !displayPattern.MatchString(d) || len(d) != 2+tt.want {
			t.Errorf("Display(id, %d) = %q, want C- and %d Crockford characters", tt.n, d, tt.want)
		}
		if !strings.HasPrefix(d, p.Display(id, 4)) {
			t.Errorf("Display(id, %d) does not extend the shorter label", tt.n)
		}
	}
	if p.Display(id, 6) == p.Display(p.ClientID("line-2", "+447700900123"), 6) {
		t.Error("two clients share a label (possible, but not for these pinned inputs)")
	}
}

func TestDisplayLabelsDisambiguate(t *testing.T) {
	t.Parallel()
	p := NewPseudonymizer(testMaster(1))
	// 2,000 clients in 2 characters (1,024 labels): collisions are certain.
	var ids []string
	for i := range 2000 {
		ids = append(ids, p.ClientID("line-1", fmt.Sprintf("+4477009%05d", i)))
	}
	ids = append(ids, ids[0]) // duplicates are fine
	labels := p.DisplayLabels(ids, 2)
	if len(labels) != 2000 {
		t.Fatalf("%d labels for 2000 clients", len(labels))
	}
	seen := map[string]bool{}
	longer := 0
	for id, l := range labels {
		if seen[l] {
			t.Fatalf("label %s given twice", l)
		}
		seen[l] = true
		if !strings.HasPrefix(l, p.Display(id, 2)) {
			t.Fatalf("label %s does not extend the short label", l)
		}
		if len(l) > 4 {
			longer++
		}
	}
	if longer == 0 {
		t.Fatal("no label grew: the test did not exercise collisions")
	}
}

// TestStaffPhoneKeyedAndApart: a work phone's hash is stable, written
// like a client id, keyed by the master key, and never any client id of
// the same number.
func TestStaffPhoneKeyedAndApart(t *testing.T) {
	t.Parallel()
	p := NewPseudonymizer(testMaster(1))
	const number = "+447700900123"
	h := p.StaffPhone(number)
	if !clientIDPattern.MatchString(h) || strings.Contains(h, "447700900123") {
		t.Fatalf("StaffPhone %q", h)
	}
	if p.StaffPhone("+44 7700 900123") != h || NewPseudonymizer(testMaster(1)).StaffPhone(number) != h {
		t.Fatal("not stable across spellings and instances")
	}
	for what, other := range map[string]string{
		"another number": p.StaffPhone("+447700900124"),
		"another master": NewPseudonymizer(testMaster(2)).StaffPhone(number),
		"its client id":  p.ClientID("", number),
	} {
		if other == h {
			t.Errorf("%s gives the same hash", what)
		}
	}
}
