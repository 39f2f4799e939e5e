package gridwarn

import (
	"math"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPercentile(t *testing.T) {
	odd := []float64{1, 2, 3, 4, 5}
	even := []float64{1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"empty", nil, 0.5, 0},
		{"one p50", []float64{7}, 0.5, 7},
		{"one p90", []float64{7}, 0.9, 7},
		{"odd p50", odd, 0.5, 3},
		{"odd p90", odd, 0.9, 4.6}, // Excel PERCENTILE.INC({1..5}, 0.9)
		{"odd p25", odd, 0.25, 2},
		{"even p50", even, 0.5, 2.5},
		{"even p90", even, 0.9, 3.7}, // Excel PERCENTILE.INC({1,2,3,4}, 0.9)
		{"even p10", even, 0.1, 1.3},
		{"p0", even, 0, 1},
		{"p1", even, 1, 4},
		{"below 0 clamps", even, -0.5, 1},
		{"above 1 clamps", even, 1.5, 4},
		{"NaN p", even, math.NaN(), 1},
		{"ties", []float64{2, 2, 2, 10}, 0.5, 2},
		{"hours", []float64{0.5, 1, 2, 4, 8, 16, 48, 96, 200, 400}, 0.9, 220},
	} {
		if got := Percentile(tc.xs, tc.p); !near(got, tc.want) {
			t.Errorf("%s: Percentile(%v, %v) = %v; want %v", tc.name, tc.xs, tc.p, got, tc.want)
		}
	}
}

func TestPercentileUnsorted(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	if got := Percentile(xs, 0.9); !near(got, 4.6) {
		t.Errorf("unsorted: %v", got)
	}
	if !slices.Equal(xs, []float64{5, 1, 4, 2, 3}) {
		t.Errorf("input modified: %v", xs)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{1, 3}, 2},
		{[]float64{1, 2, 10}, 2},
		{[]float64{1, 2, 3, 10}, 2.5},
	} {
		if got := Median(tc.xs); !near(got, tc.want) {
			t.Errorf("Median(%v) = %v; want %v", tc.xs, got, tc.want)
		}
	}
}

func TestDurationsOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want Durations
	}{
		{"empty", nil, Durations{}},
		{"one", []float64{2.25}, Durations{Count: 1, P50: 2.3, P90: 2.3}},
		{"odd unsorted", []float64{5, 1, 3, 2, 4}, Durations{Count: 5, P50: 3, P90: 4.6}},
		{"even", []float64{4, 1, 3, 2}, Durations{Count: 4, P50: 2.5, P90: 3.7}},
		{"NaN and Inf ignored", []float64{1, math.NaN(), 3, math.Inf(1)}, Durations{Count: 2, P50: 2, P90: 2.8}},
		{"rounded to 0.1 h", []float64{1.04, 1.06}, Durations{Count: 2, P50: 1.1, P90: 1.1}},
	} {
		if got := DurationsOf(tc.in); got != tc.want {
			t.Errorf("%s: DurationsOf(%v) = %+v; want %+v", tc.name, tc.in, got, tc.want)
		}
	}
}
