package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestServeNamesWhatADistributedServiceLacks runs `helpline serve` without
// what the distributed mode requires: each service refuses to start and
// names every missing variable, and an unknown service is a usage error.
func TestServeNamesWhatADistributedServiceLacks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		service string
		env     map[string]string
		want    []string
	}{
		{"ingestion", nil, []string{"HELPLINE_NATS_URL", "HELPLINE_MASTER_KEY_FILE", "HELPLINE_TWILIO_ACCOUNT_SID"}},
		{"triage", map[string]string{"HELPLINE_NATS_URL": "nats://127.0.0.1:1"}, []string{"HELPLINE_MASTER_KEY_FILE", "HELPLINE_NATS_NKEY_FILE"}},
		{"notification", map[string]string{"HELPLINE_MASTER_KEY_FILE": "/nonexistent"}, []string{"HELPLINE_NATS_URL", "HELPLINE_TWILIO_ACCOUNT_SID"}},
		{"projector", map[string]string{"HELPLINE_NATS_URL": "nats://127.0.0.1:1"}, []string{"HELPLINE_DATABASE_URL"}},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		lookup := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
		err := dispatch(context.Background(), []string{"serve", c.service}, stdio{in: strings.NewReader(""), out: &bytes.Buffer{}, err: &stderr}, lookup)
		if err == nil {
			t.Fatalf("serve %s started without its environment", c.service)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("serve %s: error does not name %s:\n%v", c.service, w, err)
			}
		}
	}
	err := dispatch(context.Background(), []string{"serve", "frobnicate"}, stdio{out: &bytes.Buffer{}, err: &bytes.Buffer{}}, func(string) (string, bool) { return "", false })
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "ingestion|notification|projector|triage") {
		t.Errorf("unknown service: %v, want a usage error listing the services", err)
	}
}
