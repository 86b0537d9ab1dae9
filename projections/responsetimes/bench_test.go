package responsetimes

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkMemoryConversationsOneDay reads one day's conversations out of
// 50 days of 1,000 a day: the dashboard's read of a short period on a
// long-running embedded store.
func BenchmarkMemoryConversationsOneDay(b *testing.B) {
	ctx := context.Background()
	s := NewMemoryStore()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.Update(ctx, "p", 1, func(tx Tx) error {
		step := 50 * 24 * time.Hour / 50_000
		for i := range 50_000 {
			c := Conversation{LineID: "l", OpenedAt: start.Add(time.Duration(i) * step)}
			if err := tx.PutConversation(ctx, fmt.Sprint("c", i), c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	day := start.AddDate(0, 0, 20)
	for b.Loop() {
		convs, err := s.Conversations(ctx, "l", day, day.AddDate(0, 0, 1))
		if err != nil || len(convs) != 1000 {
			b.Fatalf("%d conversations, %v", len(convs), err)
		}
	}
}
