package summary

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Chart is an inline SVG drawing laid out in Go and written by an HTML
// template (so every text in it is escaped): the weekly summary's charts
// and the web console's trend. Coordinates are preformatted strings so
// the output is byte-stable.
type Chart struct {
	W, H   int
	Label  string      // the drawing's accessible name; the caller sets it
	Lines  []ChartLine // grid and axes
	Legend []ChartRect // the legend's colour keys (their names are in Texts)
	Rects  []ChartRect // the bars
	Texts  []ChartText
}

// ChartLine is a line drawn in a class (grid, axis).
type ChartLine struct{ X1, Y1, X2, Y2, Class string }

// ChartRect is a bar or a legend key. Level is the warning level it
// stands for (empty when none) and Fill its colour, LevelColours[Level]
// for a level: the summary paints with Fill, the console, whose CSP
// wants its colours in app.css, with a class named after Level.
type ChartRect struct {
	X, Y, W, H string
	Level      gridwarn.Level
	Fill       string
	Tip        string
}

// ChartText is a text: a tick, a total, a legend name or a label.
type ChartText struct {
	X, Y, Anchor, Class, S string
}

func px(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// niceStep returns a step of 1, 2 or 5 × 10^k at or above raw.
func niceStep(raw float64) float64 {
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

// TrendChart lays out weeks (oldest first) as bars stacked by level, blue
// at the bottom, with the total above each bar, a legend above the plot
// and the ISO weeks below it, in a w × h drawing. labels is a message
// catalogue: the levels are named by its "level.<level>" entries. Without
// weeks the chart has its legend and axis only. The caller sets Label.
func TrendChart(weeks []gridwarn.WeekLevels, labels map[string]string, w, h int) *Chart {
	const left, right, top, bottom = 36.0, 8.0, 34.0, 24.0
	level := func(l gridwarn.Level) string { return label(labels, "level."+string(l)) }
	c := &Chart{W: w, H: h}
	// Legend: the keys share the width less 160 px (130 px apart at 680 wide).
	legendStep := float64(w-160) / float64(len(gridwarn.Levels))
	for i, l := range gridwarn.Levels {
		x := left + float64(i)*legendStep
		c.Legend = append(c.Legend, ChartRect{X: px(x), Y: "8", W: "10", H: "10", Level: l, Fill: LevelColours[l], Tip: level(l)})
		c.Texts = append(c.Texts, ChartText{X: px(x + 14), Y: "17", Anchor: "start", Class: "legend", S: level(l)})
	}
	maxTotal := 0
	for _, wl := range weeks {
		maxTotal = max(maxTotal, sumLevels(wl.ByLevel))
	}
	step := niceStep(float64(max(maxTotal, 4)) / 4)
	yMax := math.Ceil(float64(max(maxTotal, 4))/step) * step
	plotW, plotH := float64(w)-left-right, float64(h)-top-bottom
	y := func(n float64) float64 { return top + plotH - n/yMax*plotH }
	for t := 0.0; t <= yMax; t += step {
		class := "grid"
		if t == 0 {
			class = "axis"
		}
		c.Lines = append(c.Lines, ChartLine{X1: px(left), Y1: px(y(t)), X2: px(float64(w) - right), Y2: px(y(t)), Class: class})
		c.Texts = append(c.Texts, ChartText{X: px(left - 4), Y: px(y(t) + 3.5), Anchor: "end", Class: "tick", S: strconv.Itoa(int(t))})
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
			c.Rects = append(c.Rects, ChartRect{X: px(bx), Y: px(y(base + float64(n))), W: px(barW),
				H: px(y(base) - y(base+float64(n))), Level: l, Fill: LevelColours[l], Tip: fmt.Sprintf("%s %s: %d", wl.ISO, level(l), n)})
			base += float64(n)
		}
		mid := left + float64(i)*band + band/2
		c.Texts = append(c.Texts,
			ChartText{X: px(mid), Y: px(y(base) - 3), Anchor: "middle", Class: "total", S: strconv.Itoa(int(base))},
			ChartText{X: px(mid), Y: px(float64(h) - bottom + 15), Anchor: "middle", Class: "tick", S: wl.ISO})
	}
	return c
}

// trendChart is the summary's trend of the last weeks. Nil without weeks.
func (v *view) trendChart() *Chart {
	if len(v.s.Trend) == 0 {
		return nil
	}
	c := TrendChart(v.s.Trend, v.l, 680, 250)
	c.Label = v.l["chart.trend"]
	return c
}

// categoryChart draws the week's categories with events as horizontal
// bars, most first. Nil when no category has an event.
func (v *view) categoryChart() *Chart {
	type row struct {
		c gridwarn.Category
		n int
	}
	var rows []row
	for _, c := range categories(v.s.ByCat) {
		if n := v.s.ByCat[c]; n > 0 {
			rows = append(rows, row{c, n})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.n, a.n) })
	const (
		W, rowH, top = 680, 22.0, 4.0
	)
	labelW := 130.0
	if v.lang == "en" {
		labelW = 200
	}
	barMax := W - labelW - 48
	maxN := rows[0].n
	c := &Chart{W: W, H: int(top*2 + rowH*float64(len(rows))), Label: v.l["chart.categories"]}
	c.Lines = append(c.Lines, ChartLine{X1: px(labelW), Y1: px(top), X2: px(labelW), Y2: px(top + rowH*float64(len(rows))), Class: "axis"})
	for i, r := range rows {
		y := top + float64(i)*rowH
		w := float64(r.n) / float64(maxN) * barMax
		c.Rects = append(c.Rects, ChartRect{X: px(labelW), Y: px(y + 4), W: px(w), H: px(rowH - 8), Fill: "#4a5568",
			Tip: fmt.Sprintf("%s: %d", v.category(r.c), r.n)})
		c.Texts = append(c.Texts,
			ChartText{X: px(labelW - 6), Y: px(y + rowH/2 + 4), Anchor: "end", Class: "label", S: v.category(r.c)},
			ChartText{X: px(labelW + w + 4), Y: px(y + rowH/2 + 4), Anchor: "start", Class: "total", S: strconv.Itoa(r.n)})
	}
	return c
}

// shade mixes white with a level colour: t 0 is white, 1 the full colour.
// It returns the background and a text colour readable on it.
func shade(colour string, t float64) (bg, fg string) {
	var r, g, b int
	if _, err := fmt.Sscanf(colour, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return "#ffffff", "#1a202c"
	}
	mix := func(c int) int { return int(math.Round(255 + (float64(c)-255)*t)) }
	r, g, b = mix(r), mix(g), mix(b)
	// Relative luminance (sRGB approximation) decides the text colour.
	lum := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 255
	fg = "#1a202c"
	if lum < 0.55 {
		fg = "#ffffff"
	}
	return fmt.Sprintf("#%02x%02x%02x", r, g, b), fg
}
