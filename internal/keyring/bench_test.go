package keyring

import (
	"context"
	"fmt"
	"testing"
)

var benchSizes = []int{160, 1600, 16 << 10} // one SMS segment, a long SMS, a large chat message

// BenchmarkSeal measures sealing with the client's key already cached.
func BenchmarkSeal(b *testing.B) {
	ts := startServer(b)
	k := ts.keyring(b, Config{Master: testMaster(1)})
	ctx := context.Background()
	aad := []byte("01JABCDEF0123456789XYZ/body")
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			plaintext := make([]byte, size)
			if _, err := k.Seal(ctx, "client-a", plaintext, aad); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Seal(ctx, "client-a", plaintext, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen measures opening with the client's key already cached.
func BenchmarkOpen(b *testing.B) {
	ts := startServer(b)
	k := ts.keyring(b, Config{Master: testMaster(1)})
	ctx := context.Background()
	aad := []byte("01JABCDEF0123456789XYZ/body")
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			sealed, err := k.Seal(ctx, "client-a", make([]byte, size), aad)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Open(ctx, "client-a", sealed, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSealParallel shows contention on the cache mutex.
func BenchmarkSealParallel(b *testing.B) {
	ts := startServer(b)
	k := ts.keyring(b, Config{Master: testMaster(1)})
	ctx := context.Background()
	plaintext, aad := make([]byte, 160), []byte("evt/body")
	for i := range 64 {
		if _, err := k.Seal(ctx, fmt.Sprintf("client-%d", i), plaintext, aad); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := k.Seal(ctx, fmt.Sprintf("client-%d", i%64), plaintext, aad); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkDataKeyUncached measures a cache miss: one bucket read and an
// unwrap (the first touch of a client after a restart, or with the cache
// off).
func BenchmarkDataKeyUncached(b *testing.B) {
	ts := startServer(b)
	k := ts.keyring(b, Config{Master: testMaster(1)})
	ctx := context.Background()
	if _, err := k.DataKey(ctx, "client-a"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		k.mu.Lock()
		k.cache.remove("client-a")
		k.mu.Unlock()
		if _, err := k.DataKey(ctx, "client-a"); err != nil {
			b.Fatal(err)
		}
	}
}
