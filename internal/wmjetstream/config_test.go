package wmjetstream

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestSubscriberConfigValidate(t *testing.T) {
	valid := SubscriberConfig{Stream: "S", ConsumerGroup: "g"}
	tests := []struct {
		name    string
		change  func(*SubscriberConfig)
		wantErr string
	}{
		{"minimal", func(*SubscriberConfig) {}, ""},
		{"durable instead of group", func(c *SubscriberConfig) { c.ConsumerGroup = ""; c.Durable = func(string) string { return "d" } }, ""},
		{"unlimited", func(c *SubscriberConfig) { c.MaxDeliver = -1; c.MaxAckPending = -1 }, ""},
		{"backoff with matching ack wait", func(c *SubscriberConfig) {
			c.BackOff = []time.Duration{time.Second, time.Minute}
			c.AckWait = time.Second
		}, ""},
		{"backoff without ack wait", func(c *SubscriberConfig) { c.BackOff = []time.Duration{time.Second} }, ""},
		{"deliver new", func(c *SubscriberConfig) { c.DeliverPolicy = jetstream.DeliverNewPolicy }, ""},
		{"no stream", func(c *SubscriberConfig) { c.Stream = "" }, "Stream"},
		{"no group nor durable", func(c *SubscriberConfig) { c.ConsumerGroup = "" }, "ConsumerGroup"},
		{"group with a dot", func(c *SubscriberConfig) { c.ConsumerGroup = "a.b" }, ""},
		{"negative ack wait", func(c *SubscriberConfig) { c.AckWait = -time.Second }, "AckWait"},
		{"max deliver -2", func(c *SubscriberConfig) { c.MaxDeliver = -2 }, "MaxDeliver"},
		{"max ack pending -2", func(c *SubscriberConfig) { c.MaxAckPending = -2 }, "MaxAckPending"},
		{"negative fetch batch", func(c *SubscriberConfig) { c.FetchBatch = -1 }, "FetchBatch"},
		{"negative nack delay", func(c *SubscriberConfig) { c.NackDelay = -1 }, "NackDelay"},
		{"start sequence policy", func(c *SubscriberConfig) { c.DeliverPolicy = jetstream.DeliverByStartSequencePolicy }, "DeliverPolicy"},
		{"zero backoff", func(c *SubscriberConfig) { c.BackOff = []time.Duration{0} }, "BackOff[0]"},
		{"backoff longer than max deliver", func(c *SubscriberConfig) {
			c.MaxDeliver = 2
			c.BackOff = []time.Duration{time.Second, time.Second, time.Second}
		}, "MaxDeliver"},
		{"backoff longer than default max deliver", func(c *SubscriberConfig) {
			c.BackOff = make([]time.Duration, 11)
			for i := range c.BackOff {
				c.BackOff[i] = time.Second
			}
		}, "MaxDeliver 10"},
		{"ack wait differs from backoff", func(c *SubscriberConfig) {
			c.AckWait = time.Minute
			c.BackOff = []time.Duration{time.Second}
		}, "BackOff[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestSubscriberConfigDefaults(t *testing.T) {
	cfg := SubscriberConfig{Stream: "S", ConsumerGroup: "g"}
	cfg.setDefaults()
	cc, err := cfg.consumerConfig("orders")
	if err != nil {
		t.Fatal(err)
	}
	want := jetstream.ConsumerConfig{
		Durable:       "g_orders",
		Description:   "watermill subscription to orders",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    10,
		FilterSubject: "orders",
	}
	if cc.Durable != want.Durable || cc.Description != want.Description || cc.DeliverPolicy != want.DeliverPolicy ||
		cc.AckPolicy != want.AckPolicy || cc.AckWait != want.AckWait || cc.MaxDeliver != want.MaxDeliver ||
		cc.FilterSubject != want.FilterSubject || cc.BackOff != nil || cc.MaxAckPending != 0 || cc.InactiveThreshold != 0 {
		t.Fatalf("consumer config = %+v, want %+v", cc, want)
	}
	if cfg.FetchBatch != 1 {
		t.Errorf("FetchBatch = %d, want 1", cfg.FetchBatch)
	}
	if _, ok := cfg.Unmarshaler.(HeaderMarshaler); !ok {
		t.Errorf("Unmarshaler = %T, want HeaderMarshaler", cfg.Unmarshaler)
	}

	withBackOff := SubscriberConfig{Stream: "S", ConsumerGroup: "g", BackOff: []time.Duration{2 * time.Second}}
	withBackOff.setDefaults()
	if withBackOff.AckWait != 2*time.Second {
		t.Errorf("AckWait with BackOff = %s, want BackOff[0]", withBackOff.AckWait)
	}
}

func TestConsumerConfigRejectsBadNames(t *testing.T) {
	tests := []struct {
		name    string
		durable string
		filter  string
	}{
		{"dot in durable", "a.b", "s"},
		{"space in durable", "a b", "s"},
		{"wildcard in durable", "a*", "s"},
		{"empty durable", "", "s"},
		{"empty filter", "d", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := SubscriberConfig{
				Stream:        "S",
				Durable:       func(string) string { return tt.durable },
				FilterSubject: func(string) string { return tt.filter },
			}
			cfg.setDefaults()
			if _, err := cfg.consumerConfig("topic"); err == nil {
				t.Fatal("consumerConfig accepted it")
			}
		})
	}
}

func TestDurableName(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		group, topic string
		want         string // "" when only validity and length are checked
	}{
		{"billing", "orders", "billing_orders"},
		{"billing", "order-events_v2", "billing_order-events_v2"},
		{"billing", "helpline.events.>", ""},
		{"billing", "a.b", ""},
		{"billing", "a_b", "billing_a_b"},
		{"billing", long, ""},
		{"billing", "ünïcode topic", ""},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := durableName(tt.group, tt.topic)
		if tt.want != "" && got != tt.want {
			t.Errorf("durableName(%q, %q) = %q, want %q", tt.group, tt.topic, got, tt.want)
		}
		if err := checkName(got); err != nil {
			t.Errorf("durableName(%q, %q) = %q: %v", tt.group, tt.topic, got, err)
		}
		if len(got) > maxDurableLen {
			t.Errorf("durableName(%q, %q) has %d bytes", tt.group, tt.topic, len(got))
		}
		if other, dup := seen[got]; dup {
			t.Errorf("topics %q and %q share the durable %q", other, tt.topic, got)
		}
		seen[got] = tt.topic
	}
	if durableName("g", long) == durableName("g", long+"y") {
		t.Error("long topics differing at the end share a durable")
	}
}

func TestAckWaitAndNackDelay(t *testing.T) {
	backOff := []time.Duration{time.Second, 5 * time.Second, time.Minute}
	tests := []struct {
		name          string
		cfg           SubscriberConfig
		numDelivered  uint64
		wantAckWait   time.Duration
		wantNackDelay time.Duration
	}{
		{"plain", SubscriberConfig{AckWait: 30 * time.Second}, 1, 30 * time.Second, 0},
		{"nack delay", SubscriberConfig{AckWait: 30 * time.Second, NackDelay: 2 * time.Second}, 3, 30 * time.Second, 2 * time.Second},
		{"backoff first", SubscriberConfig{AckWait: time.Second, BackOff: backOff}, 1, time.Second, time.Second},
		{"backoff second", SubscriberConfig{AckWait: time.Second, BackOff: backOff}, 2, 5 * time.Second, 5 * time.Second},
		{"backoff past the end", SubscriberConfig{AckWait: time.Second, BackOff: backOff}, 9, time.Minute, time.Minute},
		{"backoff with nack delay", SubscriberConfig{AckWait: time.Second, BackOff: backOff, NackDelay: 3 * time.Second}, 2, 5 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.ackWaitFor(tt.numDelivered); got != tt.wantAckWait {
				t.Errorf("ackWaitFor(%d) = %s, want %s", tt.numDelivered, got, tt.wantAckWait)
			}
			if got := tt.cfg.nackDelayFor(tt.numDelivered); got != tt.wantNackDelay {
				t.Errorf("nackDelayFor(%d) = %s, want %s", tt.numDelivered, got, tt.wantNackDelay)
			}
		})
	}
}
