package platform_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/natsauth"
)

// TestAdministrativeCommandsChangeNoStreamSettings: `helpline users add`
// and `clients erase` open the platform as the admin role; whatever their
// own environment says (here another dedupe window), the streams and the
// keys bucket keep the settings the running service gave them (issue 15,
// item 11: they used to rewrite them).
func TestAdministrativeCommandsChangeNoStreamSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	env := func(dup time.Duration) config.Env {
		return config.Env{DataDir: dir, MasterKeyFile: filepath.Join(dir, "master.key"), Replicas: 1, DuplicatesWindow: dup}
	}
	settings := func(p *platform.Platform) []jetstream.StreamConfig {
		t.Helper()
		var out []jetstream.StreamConfig
		for _, name := range []string{events.DefaultStream, events.DefaultAuditStream, "KV_" + keyring.DefaultBucket} {
			s, err := p.JS.Stream(ctx, name)
			if err != nil {
				t.Fatalf("stream %s: %v", name, err)
			}
			out = append(out, s.CachedInfo().Config)
		}
		return out
	}

	run, err := platform.Open(ctx, platform.Config{Env: env(20 * time.Minute), Role: natsauth.Run}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := run.Keys(ctx); err != nil {
		t.Fatal(err)
	}
	before := settings(run)
	if before[0].Duplicates != 20*time.Minute {
		t.Fatalf("the service's dedupe window: %v", before[0].Duplicates)
	}
	run.Close()

	admin, err := platform.Open(ctx, platform.Config{Env: env(config.MinDuplicates), Name: "helpline-users", Role: natsauth.Admin}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, _, err := admin.Keys(ctx); err != nil {
		t.Fatal(err)
	}
	if after := settings(admin); !reflect.DeepEqual(before, after) {
		t.Fatalf("an administrative command changed the log's settings:\nbefore %+v\nafter  %+v", before, after)
	}
}
