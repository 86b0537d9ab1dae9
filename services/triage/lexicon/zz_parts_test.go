package lexicon

import "testing"

func BenchmarkZZScan(b *testing.B) {
	l, _ := Default()
	c := NewClassifier(l)
	msgs := benchMessages(b)
	var bufs [][]byte
	spaced := 0
	for _, m := range msgs {
		var n normaliser
		n.run(m)
		bufs = append(bufs, append([]byte(nil), n.buf...))
		if n.spaced {
			spaced++
		}
	}
	b.Logf("spaced %d of %d", spaced, len(msgs))
	b.ResetTimer()
	k := 0
	for i := 0; i < b.N; i++ {
		for _, buf := range bufs {
			c.c.ac.scan(buf, func(p int32, at int) { k++ })
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}
