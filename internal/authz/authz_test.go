package authz

import (
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The table as a truth table: every role × action, allowed or not.
func TestTable(t *testing.T) {
	want := map[gridwarn.Role]map[Action]bool{
		gridwarn.RoleGridWorker: {ReadSelf: true, CreateReports: true, ReadRegistry: true, ReadTickets: true, RecordVisits: true, ReadVisits: true,
			ReadContacts: true},
		gridwarn.RoleReporter: {ReadSelf: true, CreateReports: true, ReadRegistry: true},
		gridwarn.RoleMediator: {ReadSelf: true, ReadRegistry: true, ReadTickets: true, ChangeTickets: true, ReadRules: true, ReadIdentities: true,
			RecordVisits: true, ReadVisits: true, ReadContacts: true},
		gridwarn.RoleLeader: {ReadSelf: true, ReadRegistry: true, ReadTickets: true, ChangeTickets: true, ReadUsers: true, ReadDeadLetters: true, ReadRules: true, ReadSummaries: true,
			ReadIdentities: true, RecordVisits: true, ReadVisits: true, ReadContacts: true, ReadHotlineCases: true, ReadFeed: true},
		gridwarn.RoleAdmin: {ReadSelf: true, ReadRegistry: true, WriteRegistry: true, ReadUsers: true, WriteUsers: true, WriteGridWorkers: true,
			ReadTickets: true, ReadDeadLetters: true, ReplayDeadLetters: true, ReadRules: true, ManageRules: true, ReadSummaries: true,
			AuditIdentities: true, ReadVisits: true, ReadContacts: true, WriteContacts: true, ReadHotlineCases: true, LinkHotlineCases: true, ReadFeed: true},
		gridwarn.RoleHotlineOperator: {ReadSelf: true, ReadRegistry: true, FileHotlineCases: true, ReadHotlineCases: true},
		gridwarn.RolePartner:         {ReadSelf: true, ReadReferrals: true, UpdateReferrals: true},
		gridwarn.RolePlatform:        {ReadSelf: true, ReadFeed: true},
	}
	for _, r := range gridwarn.Roles {
		for _, a := range Actions {
			if got := Can(r, a); got != want[r][a] {
				t.Errorf("Can(%s, %s) = %t, want %t", r, a, got, want[r][a])
			}
		}
	}
	if Can("intruder", ReadSelf) {
		t.Error("an unknown role may act")
	}
}

func TestVisibility(t *testing.T) {
	gw := &gridwarn.Principal{User: gridwarn.User{Username: "gw1", Role: gridwarn.RoleGridWorker,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: "320924", GridCodes: []string{"320924100-J01"}}}}
	if v := Visibility(gw, ReadTickets); v.ReporterID != "gw1" || v.CountyCode != "320924" || len(v.GridCodes) != 0 {
		t.Errorf("grid worker tickets: %+v, want only their own reports' tickets", v)
	}
	if v := Visibility(gw, ReadRegistry); len(v.GridCodes) != 1 || v.ReporterID != "" {
		t.Errorf("grid worker registry: %+v, want their grids", v)
	}
	town := &gridwarn.Principal{User: gridwarn.User{Role: gridwarn.RoleMediator, Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: "320924100"}}}
	if v := Visibility(town, ReadTickets); v.CountyCode != "320924" || v.TownCode != "320924100" {
		t.Errorf("town mediator: %+v", v)
	}
	if v := Visibility(nil, ReadTickets); v.All || v.CountyCode != "" {
		t.Errorf("nobody sees %+v, want nothing", v)
	}
}
