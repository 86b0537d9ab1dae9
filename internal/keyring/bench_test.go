package keyring

import (
	"context"
	"fmt"
	"testing"
)

var benchSizes = []int{160, 1600, 16 << 10} // one SMS segment, a long SMS, a large chat message

// BenchmarkSeal measures sealing with the client's key already cached.
func BenchmarkSeal(b *testing.B) {
	_, k := oneKeyring(b)
	ctx := context.Background()
	aad := []byte("01JABCDEF0123456789XYZ/body")
	eachSize(b, func(b *testing.B, size int) func() error {
		plaintext := make([]byte, size)
		seal := func() error { _, err := k.Seal(ctx, "client-a", plaintext, aad); return err }
		if err := seal(); err != nil { // caches the key
			b.Fatal(err)
		}
		return seal
	})
}

// BenchmarkOpen measures opening with the client's key already cached.
func BenchmarkOpen(b *testing.B) {
	_, k := oneKeyring(b)
	ctx := context.Background()
	aad := []byte("01JABCDEF0123456789XYZ/body")
	eachSize(b, func(b *testing.B, size int) func() error {
		sealed := mustSeal(b, k, "client-a", make([]byte, size), aad)
		return func() error { _, err := k.Open(ctx, "client-a", sealed, aad); return err }
	})
}

// eachSize runs, for each of benchSizes, the operation prepare returns.
func eachSize(b *testing.B, prepare func(b *testing.B, size int) func() error) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			op := prepare(b, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSealParallel shows contention on the cache mutex.
func BenchmarkSealParallel(b *testing.B) {
	_, k := oneKeyring(b)
	ctx := context.Background()
	plaintext, aad := make([]byte, 160), []byte("evt/body")
	for i := range 64 {
		mustSeal(b, k, fmt.Sprintf("client-%d", i), plaintext, aad)
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
	_, k := oneKeyring(b)
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
