package responsetimes

import (
	"math"
	"sort"
	"time"
)

// bucketBounds are the fixed upper bounds of the histogram buckets:
// roughly log-spaced (about 1.5x apart) in round figures a manager reads
// at a glance, from one second to a week. They never change once data is
// stored: a bucket's index is its meaning. Adding bounds needs a new
// metric name or a migration.
var bucketBounds = [...]time.Duration{
	1 * time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second, 7 * time.Second,
	10 * time.Second, 15 * time.Second, 20 * time.Second, 30 * time.Second, 45 * time.Second,
	1 * time.Minute, 90 * time.Second, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute,
	7 * time.Minute, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute, 30 * time.Minute,
	45 * time.Minute, 1 * time.Hour, 90 * time.Minute, 2 * time.Hour, 3 * time.Hour,
	4 * time.Hour, 6 * time.Hour, 8 * time.Hour, 12 * time.Hour, 18 * time.Hour,
	24 * time.Hour, 36 * time.Hour, 48 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour,
}

// NumBuckets is the number of histogram buckets: one per bound, and one
// for everything beyond the last.
const NumBuckets = len(bucketBounds) + 1

// Beyond is what a percentile reports when it falls in the overflow
// bucket, beyond the largest bound (a week).
const Beyond = time.Duration(math.MaxInt64)

// Histogram counts observations per fixed bucket. Histograms of different
// hours, days or lines merge by adding counts.
type Histogram [NumBuckets]int64

// BucketOf returns the index of the bucket d falls in: the first whose
// upper bound is at least d. Negative durations count as zero.
func BucketOf(d time.Duration) int {
	return sort.Search(len(bucketBounds), func(i int) bool { return bucketBounds[i] >= d })
}

// UpperBound returns bucket i's upper bound, or Beyond for the overflow
// bucket.
func UpperBound(i int) time.Duration {
	if i >= len(bucketBounds) {
		return Beyond
	}
	return bucketBounds[i]
}

// Add merges o into h.
func (h *Histogram) Add(o Histogram) {
	for i, n := range o {
		h[i] += n
	}
}

// Count returns the number of observations.
func (h Histogram) Count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Percentile returns the upper bound of the bucket holding the q-th
// quantile by nearest rank (the ceil(q*n)-th smallest observation), or 0
// when the histogram is empty. The true value is at most this and more
// than the bucket's lower bound.
func (h Histogram) Percentile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(n))), 1)
	var seen int64
	for i, c := range h {
		seen += c
		if seen >= rank {
			return UpperBound(i)
		}
	}
	return Beyond
}

// Quantiles are a histogram's summary for a report.
type Quantiles struct {
	Count int64
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
}

// Quantiles summarises the histogram.
func (h Histogram) Quantiles() Quantiles {
	return Quantiles{Count: h.Count(), P50: h.Percentile(0.50), P90: h.Percentile(0.90), P99: h.Percentile(0.99)}
}
