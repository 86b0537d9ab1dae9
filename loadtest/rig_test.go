package loadtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/loadtest"
)

// A rig refuses a directory an earlier run left: started again, its log
// would answer the new run's texts (the same MessageSids) as duplicates,
// nothing would be triaged and the figures would measure nothing. It says
// so before building or starting anything.
func TestRigRefusesAnEarlierRunsDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run-1.log"), []byte("an earlier run\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rig, err := loadtest.StartRig(context.Background(), dir, "", nil, true)
	if err == nil {
		rig.Close()
		t.Fatal("StartRig started over an earlier run's directory")
	}
	if !strings.Contains(err.Error(), "earlier run") {
		t.Fatalf("error does not say why: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the directory changed: %d entries", len(entries))
	}
}
