package postgres

import (
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// The lists of states that SQL uses, derived from the domain's statuses and
// the workflow's table — never spelled out by hand. The schema's partial
// indexes and check constraint are written in the migrations; a test
// (TestSchemaStateLists) fails when they disagree with these.
var (
	// openStatusesSQL: the tickets still being worked (gridwarn.Status.Open).
	openStatusesSQL = sqlStatuses(gridwarn.OpenStatuses())
	// endedStatusesSQL: closed and merged.
	endedStatusesSQL = sqlStatuses(gridwarn.EndedStatuses())
	// claimableSQL: the states a mediator can claim a ticket in.
	claimableSQL = sqlStatuses(workflow.Table[workflow.ActionClaim].From)
	// leasedSQL: the states a lease can survive into (and lapse in).
	leasedSQL = sqlStatuses(workflow.Table[workflow.ActionUnclaim].From)
)

// sqlStatuses renders statuses as an SQL list: ('new', 'dispatched').
// Statuses are constants of the domain, never input.
func sqlStatuses(ss []gridwarn.Status) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + string(s) + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}
