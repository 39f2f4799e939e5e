package csvio

import (
	"io"
	"strings"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The columns of a users file, in the order Write uses.
const (
	uUsername = iota
	uDisplayName
	uRole
	uScopeKind
	uScopeUnit
	uScopeGrids
	uTierHead
)

var userSchema = newSchema("users", uUsername, []column{
	uUsername:    {"username", "用户名", true},
	uDisplayName: {"display_name", "姓名", false},
	uRole:        {"role", "角色", true},
	uScopeKind:   {"scope_kind", "范围类型", true},
	uScopeUnit:   {"scope_unit", "范围单位", true},
	uScopeGrids:  {"scope_grids", "网格", false},
	uTierHead:    {"tier_head", "负责人", false},
})

// ReadUsers parses a users file. It returns every user, or Errors listing
// every problem of the file; any other error comes from r. ID, Disabled
// and CreatedAt are left zero; Scope.GridCodes is nil unless the scope is
// a set of grids.
func ReadUsers(r io.Reader) ([]gridwarn.User, error) {
	return read(r, userSchema, parseUser)
}

func parseUser(rw *row) gridwarn.User {
	u := gridwarn.User{
		Username:    field(rw, uUsername, parseUsername),
		DisplayName: field(rw, uDisplayName, parseText(gridwarn.MaxDisplayName)),
		Role:        field(rw, uRole, parseRole),
		Scope: gridwarn.Scope{
			Kind:      field(rw, uScopeKind, parseScopeKind),
			UnitCode:  field(rw, uScopeUnit, parseUnitCode),
			GridCodes: field(rw, uScopeGrids, parseGridCodes),
		},
		TierHead: field(rw, uTierHead, parseBool),
	}
	if !rw.ok(uScopeKind) {
		return u
	}
	s := u.Scope
	if rw.ok(uScopeUnit) {
		switch {
		case s.Kind == gridwarn.ScopeTown && len(s.UnitCode) != 9:
			rw.fail(uScopeUnit, problem("scope_town_code", "must be a 9-digit town code when the scope is a town"))
		case s.Kind != gridwarn.ScopeTown && len(s.UnitCode) != 6:
			rw.fail(uScopeUnit, problem("scope_county_code", "must be a 6-digit county code when the scope is %s", s.Kind))
		}
	}
	if !rw.ok(uScopeGrids) {
		return u
	}
	switch {
	case s.Kind != gridwarn.ScopeGrids && len(s.GridCodes) > 0:
		rw.fail(uScopeGrids, problem("scope_grids_empty", "must be empty when the scope is %s", s.Kind))
	case s.Kind == gridwarn.ScopeGrids && len(s.GridCodes) == 0:
		rw.fail(uScopeGrids, problem("scope_grids_required", "is required when the scope is grids"))
	case s.Kind == gridwarn.ScopeGrids && rw.ok(uScopeUnit):
		for _, g := range s.GridCodes {
			if gridwarn.CountyOf(g) != s.UnitCode {
				rw.fail(uScopeGrids, problem("grid_not_in_county", "grid %s is not in county %s", g, s.UnitCode))
				break
			}
		}
	}
	return u
}

// WriteUsers writes a users file with English headers, which ReadUsers
// reads back to the same values (ID, Disabled and CreatedAt are not
// written).
func WriteUsers(w io.Writer, us []gridwarn.User) error {
	return write(w, userSchema, len(us), func(i int, rec []string) {
		u := &us[i]
		rec[uUsername] = u.Username
		rec[uDisplayName] = u.DisplayName
		rec[uRole] = string(u.Role)
		rec[uScopeKind] = string(u.Scope.Kind)
		rec[uScopeUnit] = u.Scope.UnitCode
		rec[uScopeGrids] = strings.Join(u.Scope.GridCodes, ";")
		rec[uTierHead] = formatBool(u.TierHead)
	})
}
