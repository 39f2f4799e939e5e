package gridwarn

import (
	"math"
	"slices"
)

// Percentile returns the p-quantile (p from 0 to 1: 0.5 is the median,
// 0.9 the 90th percentile) of values sorted ascending, by linear
// interpolation between the closest ranks — the "R-7" method of Hyndman
// and Fan, which is also Excel's PERCENTILE.INC, LibreOffice's PERCENTILE
// and NumPy's default:
//
//	h = (n-1)·p;  Q = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋])   (0-based x)
//
// p is clamped to [0, 1]. No values give 0; one value gives that value. If
// sorted is not in fact sorted, a sorted copy is used (the caller's slice
// is never modified).
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if !slices.IsSorted(sorted) {
		sorted = slices.Clone(sorted)
		slices.Sort(sorted)
	}
	switch {
	case math.IsNaN(p) || p <= 0:
		return sorted[0]
	case p >= 1:
		return sorted[n-1]
	}
	h := p * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Median is Percentile(sorted, 0.5): the middle value of an odd count, the
// mean of the two middle values of an even count, 0 for no values.
func Median(sorted []float64) float64 { return Percentile(sorted, 0.5) }

// DurationsOf summarises durations in hours (any order; NaN and infinite
// values are ignored): their count, median and 90th percentile, both
// rounded to 0.1 h as stored in a WeeklySummary.
func DurationsOf(hours []float64) Durations {
	xs := make([]float64, 0, len(hours))
	for _, h := range hours {
		if !math.IsNaN(h) && !math.IsInf(h, 0) {
			xs = append(xs, h)
		}
	}
	slices.Sort(xs)
	return Durations{Count: len(xs), P50: round1(Median(xs)), P90: round1(Percentile(xs, 0.9))}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
