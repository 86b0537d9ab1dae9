package lexicon

import "testing"

func BenchmarkZZParts(b *testing.B) {
	c := defaultClassifier(b)
	msgs := benchSets(b)[1].msgs
	b.Run("normalise", func(b *testing.B) {
		var n normaliser
		for i := 0; i < b.N; i++ {
			for _, m := range msgs {
				n.run(m)
			}
		}
		b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("normalise+scan", func(b *testing.B) {
		var n normaliser
		k := 0
		for i := 0; i < b.N; i++ {
			for _, m := range msgs {
				n.run(m)
				c.c.ac.scan(n.buf, func(p int32, at int) { k++ })
			}
		}
		b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("classify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, m := range msgs {
				c.Classify(m)
			}
		}
		b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
	})
}
