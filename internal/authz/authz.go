// Package authz says who may do what, in one place: a role × action table
// and the part of the territory each person sees. The API applies it to
// every route; the services apply the visibility to every query, so an
// object outside the caller's scope is simply not found (404), and an
// action the role may not take is forbidden (403).
package authz

import (
	"slices"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Action is something a route does.
type Action string

const (
	ReadTickets   Action = "tickets.read"
	ChangeTickets Action = "tickets.change"
	CreateReports Action = "reports.create"
	ReadRegistry  Action = "registry.read" // units, grids, enterprises
	WriteRegistry Action = "registry.write"
	ReadUsers     Action = "users.read"
	WriteUsers    Action = "users.write" // people and their tokens
	// WriteGridWorkers sets a grid's grid workers: a change to each person
	// who joins or leaves, allowed only for people entirely inside the
	// caller's scope (gridwarn.MayChangePerson), like every change to a
	// person.
	WriteGridWorkers  Action = "grids.workers"
	ReadDeadLetters   Action = "dead_letters.read"
	ReplayDeadLetters Action = "dead_letters.replay"
	ReadSelf          Action = "self.read"
	ReadRules         Action = "rules.read"
	ManageRules       Action = "rules.manage" // reload
	ReadSummaries     Action = "summaries.read"
	// ReadIdentities: reporters' identities of a ticket, with a reason,
	// logged — and only for a person the county administrator granted it
	// to (the service checks the grant).
	ReadIdentities Action = "identities.read"
	// AuditIdentities: the log of identity reads (county-wide
	// administrators; the service checks the scope).
	AuditIdentities Action = "identities.audit"
	// RecordVisits: visits to enterprises one sees (grid workers, and the
	// cadres who visit their linked enterprises).
	RecordVisits Action = "visits.create"
	// ReadVisits: visits and coverage of one's scope.
	ReadVisits Action = "visits.read"
	// ReadContacts: "1+x" contact assignments — leaders and administrators
	// those of their part of the territory, anyone else their own (the
	// service decides which).
	ReadContacts Action = "contacts.read"
	// WriteContacts: assign, change and end contact assignments of people
	// and enterprises wholly inside one's scope (administrators).
	WriteContacts Action = "contacts.write"
	// FileHotlineCases: file a 12351 case on a caller's behalf (hotline
	// operators; county scope).
	FileHotlineCases Action = "hotline.file"
	// ReadHotlineCases: the 12351 cases of one's scope, callers masked.
	ReadHotlineCases Action = "hotline.read"
	// LinkHotlineCases: link a held case to a registry entry, which
	// publishes its event (administrators; the service needs a county-wide
	// scope to see a held case).
	LinkHotlineCases Action = "hotline.link"
	// ReadFeed: the feed of ticket changes for the governance platform
	// (county or town scope; no personal data in it). The platform's
	// machine account has the role platform, which may do nothing else;
	// leaders and administrators may read it too.
	ReadFeed Action = "feed.read"
	// ReadReferrals: a receiving body's referrals (the service scopes them
	// to the caller's body).
	ReadReferrals Action = "referrals.read"
	// UpdateReferrals: a receiving body's updates on its referrals, and a
	// court's commissions (the service checks that the caller is a court).
	UpdateReferrals Action = "referrals.update"
)

// Actions lists every action, for tests that walk the table.
var Actions = []Action{ReadTickets, ChangeTickets, CreateReports, ReadRegistry, WriteRegistry, ReadUsers, WriteUsers,
	WriteGridWorkers, ReadDeadLetters, ReplayDeadLetters, ReadSelf, ReadRules, ManageRules, ReadSummaries, ReadIdentities, AuditIdentities,
	RecordVisits, ReadVisits, ReadContacts, WriteContacts, FileHotlineCases, ReadHotlineCases, LinkHotlineCases, ReadFeed,
	ReadReferrals, UpdateReferrals}

// Table is the role × action table. It is the only place that says what a
// role may do; README.md shows it.
var Table = map[gridwarn.Role][]Action{
	// Grid workers report, see their own grids' enterprises and the tickets
	// their own reports fed.
	gridwarn.RoleGridWorker: {ReadSelf, CreateReports, ReadRegistry, ReadTickets, RecordVisits, ReadVisits, ReadContacts},
	// Reporters (machine accounts of direct report points) report and look
	// up the enterprises they report about.
	gridwarn.RoleReporter: {ReadSelf, CreateReports, ReadRegistry},
	// Mediators work their unit's tickets.
	gridwarn.RoleMediator: {ReadSelf, ReadRegistry, ReadTickets, ChangeTickets, ReadRules, ReadIdentities, RecordVisits, ReadVisits,
		ReadContacts},
	// Leaders read everything in their scope; on tickets they may take only
	// the tier head's decisions (the workflow table says which).
	gridwarn.RoleLeader: {ReadSelf, ReadRegistry, ReadTickets, ChangeTickets, ReadUsers, ReadDeadLetters, ReadRules, ReadSummaries,
		ReadIdentities, RecordVisits, ReadVisits, ReadContacts, ReadHotlineCases, ReadFeed},
	// Administrators manage the registry, the people and the dead letters
	// of their scope, and may read its tickets. They change only people
	// whose whole scope lies inside theirs (gridwarn.MayChangePerson).
	gridwarn.RoleAdmin: {ReadSelf, ReadRegistry, WriteRegistry, ReadUsers, WriteUsers, WriteGridWorkers, ReadTickets, ReadDeadLetters, ReplayDeadLetters,
		ReadRules, ManageRules, ReadSummaries, AuditIdentities, ReadVisits, ReadContacts, WriteContacts, ReadHotlineCases, LinkHotlineCases, ReadFeed},
	// 12351 hotline operators file cases for callers, search the registry
	// while they talk, and follow the cases they and their colleagues
	// filed; the county is their scope.
	gridwarn.RoleHotlineOperator: {ReadSelf, ReadRegistry, FileHotlineCases, ReadHotlineCases},
	// Partners (a receiving body's account: arbitration, court, labour
	// inspection, legal aid) read the referrals sent to them and report
	// what became of them; a court also commissions mediation.
	gridwarn.RolePartner: {ReadSelf, ReadReferrals, UpdateReferrals},
	// The governance platform's machine account reads the feed, and
	// besides its own account (GET /api/v1/me) nothing else.
	gridwarn.RolePlatform: {ReadSelf, ReadFeed},
}

// Can reports whether role r may take action a.
func Can(r gridwarn.Role, a Action) bool { return slices.Contains(Table[r], a) }

// Check returns EFORBIDDEN unless p may take action a.
func Check(p *gridwarn.Principal, a Action) error {
	if p == nil {
		return gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")
	}
	if !Can(p.Role, a) {
		return gridwarn.Errorf(gridwarn.EFORBIDDEN, "a %s may not do this (%s)", p.Role, a)
	}
	return nil
}

// Visibility is the part of the territory p sees when taking action a.
// Grid workers see only the tickets their own reports fed.
func Visibility(p *gridwarn.Principal, a Action) gridwarn.Visibility {
	if p == nil {
		return gridwarn.Visibility{}
	}
	v := gridwarn.VisibilityOf(p.Scope)
	if p.Role == gridwarn.RoleGridWorker && (a == ReadTickets || a == ChangeTickets) {
		v = gridwarn.Visibility{CountyCode: v.CountyCode, ReporterID: p.Username}
	}
	return v
}
