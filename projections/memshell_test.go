package projections_test

import (
	"maps"
	"testing"

	"github.com/helpline-org/helpline/projections"
)

// TestStagedReadsItsWritesAndCommitsThemOnly: an update sees its own puts
// and deletes over the committed map, which changes only at Commit.
func TestStagedReadsItsWritesAndCommitsThemOnly(t *testing.T) {
	t.Parallel()
	base := map[string]int{"kept": 1, "changed": 2, "deleted": 3}
	st := projections.Stage(base)
	for _, err := range []error{st.Put("changed", 20), st.Put("added", 4), st.Delete("deleted"), st.Delete("never")} {
		if err != nil {
			t.Fatal(err)
		}
	}

	for k, want := range map[string]struct {
		v  int
		ok bool
	}{"kept": {1, true}, "changed": {20, true}, "added": {4, true}, "deleted": {0, false}, "never": {0, false}} {
		if v, ok, err := st.Get(k); v != want.v || ok != want.ok || err != nil {
			t.Errorf("Get(%q) = %d, %t, %v; want %d, %t", k, v, ok, err, want.v, want.ok)
		}
	}
	if want := map[string]int{"kept": 1, "changed": 2, "deleted": 3}; !maps.Equal(base, want) {
		t.Fatalf("committed map before Commit: %v, want %v", base, want)
	}
	if puts := maps.Collect(st.Puts()); !maps.Equal(puts, map[string]int{"changed": 20, "added": 4}) {
		t.Fatalf("puts %v", puts)
	}
	st.Commit()
	if want := map[string]int{"kept": 1, "changed": 20, "added": 4}; !maps.Equal(base, want) {
		t.Fatalf("after Commit: %v, want %v", base, want)
	}
}
