package postgres

import (
	"fmt"
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// where builds a WHERE clause with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// add adds a condition; each %s in cond is replaced by a placeholder for
// the next value of vals.
func (w *where) add(cond string, vals ...any) {
	ph := make([]any, len(vals))
	for i, v := range vals {
		ph[i] = w.arg(v)
	}
	w.conds = append(w.conds, fmt.Sprintf(cond, ph...))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// place limits w to what v sees, for a table whose columns county, town and
// grid say where a row lies. A zero Visibility sees nothing.
func (w *where) place(v gridwarn.Visibility, county, town, grid string) {
	if v.All {
		return
	}
	if v.CountyCode == "" {
		w.conds = append(w.conds, "false")
		return
	}
	w.add(county+" = %s", v.CountyCode)
	if v.TownCode != "" {
		w.add(town+" = %s", v.TownCode)
	}
	if len(v.GridCodes) > 0 {
		w.add(grid+" = ANY(%s)", v.GridCodes)
	}
}

// tickets limits w to the tickets (alias t) that v sees.
func (w *where) tickets(v gridwarn.Visibility) {
	w.place(v, "t.county_code", "t.town_code", "t.grid_code")
	if v.ReporterID != "" {
		w.add(`EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.reporter_kind = 'grid_worker' AND e.reporter_id = %s)`, v.ReporterID)
	}
}
