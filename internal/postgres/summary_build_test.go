package postgres

import (
	"slices"
	"testing"
	"time"
)

// Each week is a run of whole buckets, whatever the order and overlap of
// the weeks given; a gap between weeks is a bucket of no week.
func TestBucketsOf(t *testing.T) {
	at := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	span := func(from, to int) WeekSpan { return WeekSpan{From: at(from), To: at(to)} }
	for _, tc := range []struct {
		name   string
		weeks  []WeekSpan
		bounds []int
		of     [][]int
	}{
		{"week, week before, trend", []WeekSpan{span(16, 23), span(9, 16), span(2, 9), span(9, 16), span(16, 23)},
			[]int{2, 9, 16, 23}, [][]int{{3}, {2}, {1}, {2}, {3}}},
		{"a gap", []WeekSpan{span(16, 23), span(2, 9)}, []int{2, 9, 16, 23}, [][]int{{3}, {1}}},
		{"a week that spans two", []WeekSpan{span(2, 16), span(9, 16)}, []int{2, 9, 16}, [][]int{{1, 2}, {2}}},
		{"no weeks", nil, nil, nil},
		{"an empty week", []WeekSpan{span(9, 9)}, []int{9}, [][]int{nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bucketsOf(tc.weeks...)
			var bounds []int
			for _, x := range b.bounds {
				bounds = append(bounds, x.Day())
			}
			if !slices.Equal(bounds, tc.bounds) {
				t.Errorf("bounds %v; want %v", bounds, tc.bounds)
			}
			if !slices.EqualFunc(b.of, tc.of, slices.Equal) {
				t.Errorf("buckets %v; want %v", b.of, tc.of)
			}
		})
	}
}
