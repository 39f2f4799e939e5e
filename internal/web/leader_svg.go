package web

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// trendChart is the dashboard's trend: the events of the last weeks as
// bars stacked by level, blue at the bottom, with the total above each
// bar. Go lays it out; the template writes it (svg#trend), so every text
// is escaped. Colours come from classes in app.css (bar-<level>): the
// console's CSP allows no style attribute.
type trendChart struct {
	W, H   int
	Label  string
	Lines  []chartLine
	Bars   []chartBar
	Texts  []chartText
	Legend []chartLegend
}

type chartLine struct{ X1, Y1, X2, Y2, Class string }

type chartBar struct {
	X, Y, W, H string
	Level      gridwarn.Level
	Tip        string
}

type chartText struct{ X, Y, Anchor, Class, S string }

type chartLegend struct {
	X, Y, TX, TY string
	Level        gridwarn.Level
	Name         string
}

// trendPx formats a coordinate to a tenth of a pixel.
func trendPx(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// trendStep is a step of 1, 2 or 5 × 10^k at or above raw.
func trendStep(raw float64) float64 {
	if raw <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// newTrendChart lays out weeks (oldest first) with the messages of the
// page's language.
func newTrendChart(weeks []gridwarn.WeekLevels, msgs map[string]string) *trendChart {
	const (
		W, H                     = 640, 240
		left, right, top, bottom = 36.0, 8.0, 34.0, 24.0
	)
	level := func(l gridwarn.Level) string {
		if m, ok := msgs["level."+string(l)]; ok {
			return m
		}
		return string(l)
	}
	c := &trendChart{W: W, H: H, Label: msgs["dash.trend_label"]}
	for i, l := range gridwarn.Levels {
		x := left + float64(i)*120
		c.Legend = append(c.Legend, chartLegend{X: trendPx(x), Y: "8", TX: trendPx(x + 14), TY: "17", Level: l, Name: level(l)})
	}
	maxTotal := 0
	for _, wl := range weeks {
		t := 0
		for _, n := range wl.ByLevel {
			t += n
		}
		maxTotal = max(maxTotal, t)
	}
	step := trendStep(float64(max(maxTotal, 4)) / 4)
	yMax := math.Ceil(float64(max(maxTotal, 4))/step) * step
	plotW, plotH := W-left-right, H-top-bottom
	y := func(n float64) float64 { return top + plotH - n/yMax*plotH }
	for t := 0.0; t <= yMax; t += step {
		class := "grid"
		if t == 0 {
			class = "axis"
		}
		c.Lines = append(c.Lines, chartLine{X1: trendPx(left), Y1: trendPx(y(t)), X2: trendPx(W - right), Y2: trendPx(y(t)), Class: class})
		c.Texts = append(c.Texts, chartText{X: trendPx(left - 4), Y: trendPx(y(t) + 3.5), Anchor: "end", Class: "tick", S: strconv.Itoa(int(t))})
	}
	if len(weeks) == 0 {
		return c
	}
	band := plotW / float64(len(weeks))
	barW := band * 0.6
	for i, wl := range weeks {
		bx := left + float64(i)*band + (band-barW)/2
		base := 0.0
		for _, l := range gridwarn.Levels {
			n := wl.ByLevel[l]
			if n <= 0 {
				continue
			}
			c.Bars = append(c.Bars, chartBar{X: trendPx(bx), Y: trendPx(y(base + float64(n))), W: trendPx(barW),
				H: trendPx(y(base) - y(base+float64(n))), Level: l, Tip: fmt.Sprintf("%s %s: %d", wl.ISO, level(l), n)})
			base += float64(n)
		}
		mid := left + float64(i)*band + band/2
		c.Texts = append(c.Texts,
			chartText{X: trendPx(mid), Y: trendPx(y(base) - 3), Anchor: "middle", Class: "total", S: strconv.Itoa(int(base))},
			chartText{X: trendPx(mid), Y: trendPx(H - bottom + 15), Anchor: "middle", Class: "tick", S: wl.ISO})
	}
	return c
}
