package bench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Figure is one quantity measured in every repetition.
type Figure struct {
	Values []float64 `json:"values"` // one per repetition
	Unit   string    `json:"unit"`   // "/s", "ms", "×", …
}

func (f Figure) ok() bool { return len(f.Values) > 0 }

// Median, Min and Max summarise the repetitions.
func (f Figure) Median() float64 { return median(f.Values) }
func (f Figure) Min() float64    { return slices.Min(f.Values) }
func (f Figure) Max() float64    { return slices.Max(f.Values) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// String renders "median [min–max] unit".
func (f Figure) String() string {
	if !f.ok() {
		return "—"
	}
	if len(f.Values) == 1 {
		return num(f.Values[0]) + " " + f.Unit
	}
	return fmt.Sprintf("%s %s [%s–%s]", num(f.Median()), f.Unit, num(f.Min()), num(f.Max()))
}

// ratios divides a by b repetition by repetition (both in the same run).
func ratios(a, b Figure) Figure {
	out := Figure{Unit: "×"}
	for i := range min(len(a.Values), len(b.Values)) {
		if b.Values[i] != 0 {
			out.Values = append(out.Values, a.Values[i]/b.Values[i])
		}
	}
	return out
}

// num renders a number with a precision that suits its size and
// thousands separators.
func num(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "—"
	case math.Abs(v) >= 100:
		return group(strconv.FormatInt(int64(math.Round(v)), 10))
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// percentile returns the p-th percentile (0–100) of sorted durations
// (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencies is a sample of durations.
type latencies []time.Duration

func (l latencies) sorted() latencies {
	s := slices.Clone(l)
	slices.Sort(s)
	return s
}

// pcts returns p50, p95, p99 and max in milliseconds of a sorted sample.
func (l latencies) pcts() [4]float64 {
	if len(l) == 0 {
		return [4]float64{}
	}
	return [4]float64{ms(percentile(l, 50)), ms(percentile(l, 95)), ms(percentile(l, 99)), ms(l[len(l)-1])}
}
