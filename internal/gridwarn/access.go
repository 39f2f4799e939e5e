package gridwarn

import (
	"context"
	"time"
)

// Visibility limits a query to a part of the territory. The zero value
// sees nothing; All sees everything (system jobs only). Conditions combine:
// an object is visible when it lies in the county, the town (if set) and
// one of the grids (if any), and — when ReporterID is set — when one of its
// events was reported by that grid worker.
type Visibility struct {
	All        bool
	CountyCode string
	TownCode   string
	GridCodes  []string
	ReporterID string
}

// VisibilityOf is what a scope may see.
func VisibilityOf(s Scope) Visibility {
	switch s.Kind {
	case ScopeCounty:
		return Visibility{CountyCode: s.UnitCode}
	case ScopeTown:
		return Visibility{CountyCode: CountyOf(s.UnitCode), TownCode: s.UnitCode}
	case ScopeGrids:
		if len(s.GridCodes) == 0 {
			// No grid is no scope, not the whole county (a Visibility
			// without grids would be).
			return Visibility{}
		}
		return Visibility{CountyCode: CountyOf(s.UnitCode), GridCodes: s.GridCodes}
	}
	return Visibility{}
}

// Holds reports whether scope s lies entirely inside v: every place s
// reaches, v sees. Reading a person needs only that their scope touches
// v; changing them (their scope, grids, tokens, password) needs Holds.
func (v Visibility) Holds(s Scope) bool {
	if v.All {
		return true
	}
	switch s.Kind {
	case ScopeCounty:
		return v.CountyCode != "" && v.CountyCode == s.UnitCode && v.TownCode == "" && len(v.GridCodes) == 0
	case ScopeTown:
		return v.Sees(CountyOf(s.UnitCode), s.UnitCode, "") && len(v.GridCodes) == 0
	case ScopeGrids:
		if len(s.GridCodes) == 0 || v.CountyCode != s.UnitCode {
			return false
		}
		for _, g := range s.GridCodes {
			if !v.Sees(CountyOf(g), TownOfGrid(g), g) {
				return false
			}
		}
		return true
	}
	return false
}

// MayChangePerson is the rule for every change to a person: the caller
// (who sees v) may change them only when both the scope they have (from;
// nil for a new person) and the scope they will have lie entirely inside
// v. A person who also works elsewhere belongs to an administrator whose
// scope holds all of it.
func MayChangePerson(v Visibility, from *Scope, to Scope) error {
	if from != nil && !v.Holds(*from) {
		return Errorf(EFORBIDDEN, "this person also works outside your part of the territory; only an administrator of their whole scope may change them")
	}
	if !v.Holds(to) {
		return Invalid("scope outside yours", FieldError{Field: "scope", Rule: "scope", Message: "lies outside your part of the territory"})
	}
	return nil
}

// Sees reports whether a place lies inside v.
func (v Visibility) Sees(countyCode, townCode, gridCode string) bool {
	if v.All {
		return true
	}
	if v.CountyCode == "" || countyCode != v.CountyCode {
		return false
	}
	if v.TownCode != "" && townCode != v.TownCode {
		return false
	}
	if len(v.GridCodes) > 0 {
		for _, g := range v.GridCodes {
			if g == gridCode {
				return true
			}
		}
		return false
	}
	return true
}

// EnterpriseFilter selects enterprises for a list (ordered by credit code).
type EnterpriseFilter struct {
	TownCode string
	GridCode string
	Query    string // a part of the name or the credit code
	After    string // continue after this credit code
	Limit    int
}

// GridFilter selects grids for a list (ordered by code).
type GridFilter struct {
	TownCode string
	Kind     GridKind
	After    string
	Limit    int
}

// UserFilter selects users for a list (ordered by id).
type UserFilter struct {
	Role    Role
	AfterID int64
	Limit   int
}

// ImportResult says what an import changed (or would change, in a dry run).
type ImportResult struct {
	Rows      int  `json:"rows"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	DryRun    bool `json:"dry_run"`
}

// RegistryService reads and changes the territory and its enterprises.
// Every method is limited to what v sees; an object outside it is
// ENOTFOUND, a change that would put something outside it is EINVALID.
type RegistryService interface {
	Units(ctx context.Context, v Visibility) ([]Unit, error)
	Unit(ctx context.Context, v Visibility, code string) (*Unit, error)
	PutUnit(ctx context.Context, v Visibility, u Unit) (*Unit, error)

	Grids(ctx context.Context, v Visibility, f GridFilter) ([]Grid, error)
	Grid(ctx context.Context, v Visibility, code string) (*Grid, error)
	PutGrid(ctx context.Context, v Visibility, g Grid) (*Grid, error)

	Enterprises(ctx context.Context, v Visibility, f EnterpriseFilter) ([]Enterprise, error)
	Enterprise(ctx context.Context, v Visibility, code string) (*Enterprise, error)
	PutEnterprise(ctx context.Context, v Visibility, e Enterprise) (*Enterprise, error)
	ImportEnterprises(ctx context.Context, v Visibility, es []Enterprise, dryRun bool) (ImportResult, error)
	ExportEnterprises(ctx context.Context, v Visibility, w func(Enterprise) error) error
}

// UserService manages people and their tokens.
type UserService interface {
	Users(ctx context.Context, v Visibility, f UserFilter) ([]User, error)
	User(ctx context.Context, v Visibility, id int64) (*User, error)
	CreateUser(ctx context.Context, v Visibility, u User) (*User, error)
	CreateToken(ctx context.Context, v Visibility, userID int64, name string, expiresAt *time.Time) (*Token, string, error)
	Tokens(ctx context.Context, v Visibility, userID int64) ([]Token, error)
	RevokeToken(ctx context.Context, v Visibility, tokenID int64) error
}

// ReportService accepts reports from people and puts them on the event
// stream, so that every event takes one path.
type ReportService interface {
	Report(ctx context.Context, p *Principal, e Event) (ReportReceipt, error)
}

// ReportReceipt acknowledges a report.
type ReportReceipt struct {
	EventID   string `json:"event_id"`
	Duplicate bool   `json:"duplicate"`
}
