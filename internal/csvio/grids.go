package csvio

import (
	"io"
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The columns of a grids file, in the order Write uses.
const (
	gCode = iota
	gTownCode
	gKind
	gName
	gIndustry
	gWorkers
)

var gridSchema = newSchema("grids", gCode, []column{
	gCode:     {"code", "网格编码", true},
	gTownCode: {"town_code", "镇街代码", false},
	gKind:     {"kind", "网格类型", false},
	gName:     {"name", "网格名称", false},
	gIndustry: {"industry", "行业门类", false},
	gWorkers:  {"workers", "网格员", false},
})

// ReadGrids parses a grids file. It returns every grid, or Errors listing
// every problem of the file; any other error comes from r. An empty town
// code or kind is taken from the grid code; a given one must agree with it.
// Workers is nil when the file lists none.
func ReadGrids(r io.Reader) ([]gridwarn.Grid, error) {
	return read(r, gridSchema, parseGrid)
}

func parseGrid(rw *row) gridwarn.Grid {
	g := gridwarn.Grid{
		Code:     field(rw, gCode, parseGridCode),
		TownCode: field(rw, gTownCode, parseTownCode),
		Kind:     field(rw, gKind, parseGridKind),
		Name:     field(rw, gName, parseText(gridwarn.MaxGridName)),
		Industry: field(rw, gIndustry, parseSection),
		Workers:  field(rw, gWorkers, parseUsernames),
	}
	if !rw.ok(gCode) {
		return g
	}
	town, kind := g.Code[:9], gridKindOfCode(g.Code)
	switch {
	case !rw.ok(gTownCode):
	case g.TownCode == "":
		g.TownCode = town
	case g.TownCode != town:
		rw.fail(gTownCode, problem("not_town_of_grid", "is not the town of grid %s", g.Code))
	}
	switch {
	case !rw.ok(gKind):
		return g
	case g.Kind == "":
		g.Kind = kind
	case g.Kind != kind:
		rw.fail(gKind, problem("grid_kind", "grid %s is a %s grid (letter %c)", g.Code, kind, g.Code[10]))
		return g
	}
	switch {
	case !rw.ok(gIndustry):
	case g.Kind == gridwarn.GridJoint && g.Industry == "":
		rw.fail(gIndustry, problem("industry_joint", "is required for a joint grid"))
	case g.Kind != gridwarn.GridJoint && g.Industry != "":
		rw.fail(gIndustry, problem("industry_not_joint", "must be empty for a %s grid", g.Kind))
	}
	return g
}

// WriteGrids writes a grids file with English headers, which ReadGrids
// reads back to the same values.
func WriteGrids(w io.Writer, gs []gridwarn.Grid) error {
	return write(w, gridSchema, len(gs), func(i int, rec []string) {
		g := &gs[i]
		rec[gCode] = g.Code
		rec[gTownCode] = g.TownCode
		rec[gKind] = string(g.Kind)
		rec[gName] = g.Name
		rec[gIndustry] = g.Industry
		rec[gWorkers] = strings.Join(g.Workers, ";")
	})
}
