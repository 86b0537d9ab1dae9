package oncall_test

import (
	"testing"
	"time"

	"github.com/helpline-org/helpline/deploy"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/oncall"
)

// TestExampleRotaHasNoGaps: the documented example keeps someone on call
// at every level of every line, every hour of a week (and across the
// clock changes of March and October).
func TestExampleRotaHasNoGaps(t *testing.T) {
	f, err := config.ParseFile(deploy.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	r, err := oncall.New(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []time.Time{time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 22, 0, 0, 0, 0, time.UTC), time.Date(2027, 10, 25, 0, 0, 0, 0, time.UTC)} {
		for _, l := range f.Lines {
			if gaps := r.Gaps(nil, l.ID, from, from.Add(8*24*time.Hour)); len(gaps) > 0 {
				t.Errorf("line %s from %s: gaps %v", l.ID, from.Format(time.DateOnly), gaps)
			}
		}
	}
}
