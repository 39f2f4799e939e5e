package gridwarn

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// UnitKind is the level of an administrative unit.
type UnitKind string

const (
	UnitCounty UnitKind = "county" // 县/区: 6-digit code (GB/T 2260), e.g. 320924
	UnitTown   UnitKind = "town"   // 镇/街道/园区: 9-digit code, the county's code + 3 digits, e.g. 320924100
)

// TownType says what kind of town-level unit a town is.
type TownType string

const (
	TownTown        TownType = "town"        // 镇
	TownSubdistrict TownType = "subdistrict" // 街道
	TownPark        TownType = "park"        // 园区: its enterprises form one park grid
)

// Unit is a county or a town.
type Unit struct {
	Code       string   `json:"code"`
	Kind       UnitKind `json:"kind"`
	TownType   TownType `json:"town_type,omitempty"`   // towns only
	ParentCode string   `json:"parent_code,omitempty"` // a town's county
	NameZH     string   `json:"name_zh"`
	NameEN     string   `json:"name_en,omitempty"`
}

// CountyOf returns the county code of a unit code.
func CountyOf(code string) string {
	if len(code) < 6 {
		return code
	}
	return code[:6]
}

// TownOfGrid returns the town code a grid code begins with
// (320924100-J01 → 320924100).
func TownOfGrid(code string) string { return code[:min(9, len(code))] }

// GridKind is how a grid groups enterprises.
type GridKind string

const (
	GridPark        GridKind = "park"        // 园区大网格: every enterprise of an industrial park
	GridIndependent GridKind = "independent" // 独立网格: one enterprise with ≥ 200 workers
	GridJoint       GridKind = "joint"       // 联合网格: small enterprises grouped by area and industry
)

// GridKinds lists the grid kinds.
var GridKinds = []GridKind{GridPark, GridIndependent, GridJoint}

// Grid is a part of a town worked by grid workers. Its code is its
// identity: <town code>-P01 (park), -I01 (independent), -J01 (joint).
type Grid struct {
	Code     string   `json:"code"`
	TownCode string   `json:"town_code"`
	Kind     GridKind `json:"kind"`
	Name     string   `json:"name"`
	// Industry groups a joint grid's enterprises (a GB/T 4754 section
	// letter such as C for manufacturing); empty for other kinds.
	Industry string `json:"industry,omitempty"`
	// Workers are the usernames of the grid workers assigned to it.
	Workers []string `json:"workers"`
}

// Ownership is an enterprise's form of ownership.
type Ownership string

// Ownerships lists the accepted forms of ownership.
var Ownerships = []Ownership{"state", "collective", "private", "foreign", "hk_macao_taiwan", "joint_venture", "other"}

// Enterprise is an employer in the registry, identified by its unified
// social credit code.
type Enterprise struct {
	CreditCode            string    `json:"credit_code"`
	Name                  string    `json:"name"`
	IndustryCode          string    `json:"industry_code"` // GB/T 4754, e.g. C1713
	Ownership             Ownership `json:"ownership"`
	Headcount             int       `json:"headcount"`
	HasUnion              bool      `json:"has_union"`
	HasMediationCommittee bool      `json:"has_mediation_committee"`
	ComplianceGrade       string    `json:"compliance_grade"` // A, B or C
	RegisteredCapitalCNY  float64   `json:"registered_capital_cny"`
	KeyEnterprise         bool      `json:"key_enterprise"` // key enterprise / direct report point
	TownCode              string    `json:"town_code"`
	GridCode              string    `json:"grid_code"`
	// Village is the village or residential community (村、社区) the
	// enterprise lies in, where the registry says (D12: an optional
	// column); "" otherwise. An edit or import without it keeps the
	// registry's.
	Village   string    `json:"village,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// Union status beyond HasUnion and HasMediationCommittee (UnionStatus):
	// read with the enterprise, written only through PutUnionStatus, so an
	// edit or an import of the registry leaves them as they are.
	UnionSince   string `json:"union_since,omitempty"`
	UnionMembers int    `json:"union_members"`
	JointUnion   string `json:"joint_union"`
	OpenedOn     string `json:"opened_on,omitempty"`
}

// LooksLikeFormula reports whether a spreadsheet could take text s for a
// formula: it starts, after any spaces and tabs, with = + - or @. Such
// text is refused wherever a person's text is stored (CheckText); the
// exports defuse it anyway (package formula), for what was stored before.
func LooksLikeFormula(s string) bool {
	t := strings.TrimLeft(s, " \t\u3000")
	return t != "" && strings.IndexByte("=+-@", t[0]) >= 0
}

// CheckText is the one rule for free text a person writes into the
// registry or the people (names, display names) — every path: API,
// console, import, command line. Text of at most max characters, no
// control characters, nothing a spreadsheet would run as a formula. Empty
// text passes; whether a field is required is its owner's rule.
func CheckText(field, s string, max int) *FieldError {
	bad := func(rule, msg string) *FieldError { return &FieldError{Field: field, Rule: rule, Message: msg} }
	if n := utf8.RuneCountInString(s); n > max {
		return bad("max_length", fmt.Sprintf("has %d characters, at most %d are allowed", n, max))
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return bad("control", fmt.Sprintf("must not hold control characters such as tabs or line breaks (found %U)", r))
	}
	if LooksLikeFormula(s) {
		t := strings.TrimLeft(s, " \t\u3000")
		return bad("formula", fmt.Sprintf("must not start with %q (a spreadsheet would run it as a formula)", t[0]))
	}
	return nil
}

// Longest names, in characters.
const (
	MaxEnterpriseName = 200
	MaxGridName       = 200
	MaxUnitName       = 200
	MaxDisplayName    = 100
)

// Validate checks what an enterprise's writer sets, for every path that
// writes one (API, console, import, command line): the credit code and
// the name. Field names are the JSON ones.
// MaxVillageName is the longest village name, in characters.
const MaxVillageName = 100

func (e Enterprise) Validate() error {
	var fs []FieldError
	if err := ValidateCreditCode(e.CreditCode); err != nil {
		fs = append(fs, FieldError{Field: "credit_code", Rule: "credit_code", Message: err.Error()})
	}
	if strings.TrimSpace(e.Name) == "" {
		fs = append(fs, FieldError{Field: "name", Rule: "required", Message: "is required"})
	} else if f := CheckText("name", e.Name, MaxEnterpriseName); f != nil {
		fs = append(fs, *f)
	}
	if f := CheckText("village", e.Village, MaxVillageName); f != nil {
		fs = append(fs, *f)
	}
	if len(fs) > 0 {
		return Invalid("invalid enterprise", fs...)
	}
	return nil
}

// Validate checks a grid's text for every path that writes one.
func (g Grid) Validate() error {
	if f := CheckText("name", g.Name, MaxGridName); f != nil {
		return Invalid("invalid grid", *f)
	}
	return nil
}

// IndustrySection is the GB/T 4754 section letter of an industry code
// (C1713 → C).
func IndustrySection(code string) string {
	if code == "" {
		return ""
	}
	return code[:1]
}

// DefaultIndependentThreshold is the headcount from which an enterprise
// gets its own independent grid (DOMAIN.md; configurable).
const DefaultIndependentThreshold = 200

// Placement says which kind of grid an enterprise belongs to under the
// reference county's rule: every enterprise of a park is in the park's
// grid; elsewhere one with threshold or more workers gets its own
// independent grid, smaller ones share the joint grid of their town and
// industry section.
func Placement(town Unit, headcount, threshold int) GridKind {
	switch {
	case town.TownType == TownPark:
		return GridPark
	case headcount >= threshold:
		return GridIndependent
	default:
		return GridJoint
	}
}

// Role is what a person does in the product.
type Role string

const (
	RoleGridWorker Role = "grid_worker"
	RoleReporter   Role = "reporter" // a machine account of a direct report point or an enterprise system
	RoleMediator   Role = "mediator"
	RoleLeader     Role = "leader"
	RoleAdmin      Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleGridWorker, RoleReporter, RoleMediator, RoleLeader, RoleAdmin, RoleHotlineOperator, RolePartner, RolePlatform}

// PersonRoles are the roles a person is created or imported with; a
// partner's account is registered only with its body (POST /api/v1/partners)
// and the governance platform's with POST /api/v1/platforms.
func PersonRoles() []Role {
	return slices.DeleteFunc(slices.Clone(Roles), func(r Role) bool { return !r.Person() })
}

// Person reports whether r is a person's role rather than a machine
// account registered with what it serves (a partner, a platform).
func (r Role) Person() bool { return r != RolePartner && r != RolePlatform }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ScopeKind says which part of the territory a person works in.
type ScopeKind string

const (
	ScopeCounty ScopeKind = "county"
	ScopeTown   ScopeKind = "town"
	ScopeGrids  ScopeKind = "grids"
)

// Scope is the part of the territory a person sees: a county, a town, or a
// set of grids (of one county).
type Scope struct {
	Kind      ScopeKind `json:"kind"`
	UnitCode  string    `json:"unit_code"` // the county or town; for grids, their county
	GridCodes []string  `json:"grid_codes,omitempty"`
}

// Contains reports whether a place (its town code and grid) lies inside s.
func (s Scope) Contains(townCode, gridCode string) bool {
	switch s.Kind {
	case ScopeCounty:
		return CountyOf(townCode) == s.UnitCode
	case ScopeTown:
		return townCode == s.UnitCode
	case ScopeGrids:
		return slices.Contains(s.GridCodes, gridCode)
	}
	return false
}

// ContainsUnit reports whether a unit (county or town code) lies inside s.
func (s Scope) ContainsUnit(code string) bool {
	switch s.Kind {
	case ScopeCounty:
		return CountyOf(code) == s.UnitCode
	case ScopeTown:
		return code == s.UnitCode
	}
	return false
}

// User is a person (or a machine account) with a role and a scope.
type User struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	Scope       Scope     `json:"scope"`
	TierHead    bool      `json:"tier_head"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// Token is a bearer token's record; the secret itself is shown once at
// creation and stored only as a hash.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Username   string     `json:"username"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the first characters, to recognise it
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Principal is the authenticated caller of a request.
type Principal struct {
	User
	TokenID int64
}

// Authenticator resolves a bearer token to its principal; any failure
// (unknown, revoked, expired, disabled user) is EUNAUTHORIZED.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*Principal, error)
}
