package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The people's pages: the list with the form that adds a person, one
// person with their tokens, the password and token forms.

// adminUserForm is the new-person form as submitted.
type adminUserForm struct {
	Username, DisplayName, Role, ScopeKind, Unit, Grids string
	TierHead                                            bool
}

type adminUsersView struct {
	Users      []gridwarn.User
	Labels     map[string]string // unit labels by code
	Role       string            // the list's filter
	Roles      []gridwarn.Role   // the list's filter: every role
	NewRoles   []gridwarn.Role   // a new person's: no partner (registered with its body)
	ScopeKinds []gridwarn.ScopeKind
	Units      []adminOption // the units a new person's scope may name
	Form       adminUserForm
	Errors     []gridwarn.FieldError
	More       string
	First      bool
}

// adminUsersPage lists the people of the caller's scope by id.
func (s *server) adminUsersPage(c *gin.Context) {
	s.renderUsers(c, http.StatusOK, adminUserForm{Role: string(gridwarn.RoleGridWorker), ScopeKind: string(gridwarn.ScopeTown)}, nil)
}

func (s *server) renderUsers(c *gin.Context, status int, form adminUserForm, errs []gridwarn.FieldError) {
	q := newAdminQuery(c)
	f := gridwarn.UserFilter{Role: adminPick(q.q.Get("role"), gridwarn.Roles), Limit: adminPageSize + 1}
	if cur := q.q.Get("cursor"); cur != "" {
		id, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || id < 0 {
			q.errors = append(q.errors, gridwarn.FieldError{Field: "cursor", Rule: "pattern", Message: "is not a person's id"})
		}
		f.AfterID = id
	}
	users, err := s.svc.Users.Users(c.Request.Context(), visibility(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	units, err := s.svc.Registry.Units(c.Request.Context(), visibility(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	v := adminUsersView{Role: string(f.Role), Roles: gridwarn.Roles, NewRoles: gridwarn.PersonRoles(), Labels: map[string]string{},
		ScopeKinds: []gridwarn.ScopeKind{gridwarn.ScopeCounty, gridwarn.ScopeTown, gridwarn.ScopeGrids},
		Form:       form, Errors: append(q.errors, errs...), First: f.AfterID == 0}
	for _, u := range units {
		v.Labels[u.Code] = adminUnitLabel(u, lang(c))
		v.Units = append(v.Units, adminOption{Value: u.Code, Label: v.Labels[u.Code]})
	}
	if len(users) > adminPageSize {
		users = users[:adminPageSize]
		v.More = q.next("/ui/admin/users", strconv.FormatInt(users[len(users)-1].ID, 10))
	}
	v.Users = users
	if status == http.StatusOK {
		status = q.status()
	}
	s.render(c, status, "admin_users", "admin.users.title", v)
}

// gridList splits a list of grid codes typed with commas, spaces or new
// lines.
var gridList = regexp.MustCompile(`[\s,，、;；]+`)

// adminCreateUser adds a person (UserService.CreateUser, as the API's
// POST /users): their scope must lie inside the caller's.
func (s *server) adminCreateUser(c *gin.Context) {
	f := adminUserForm{
		Username: strings.TrimSpace(c.PostForm("username")), DisplayName: strings.TrimSpace(c.PostForm("display_name")),
		Role: c.PostForm("role"), ScopeKind: c.PostForm("scope_kind"), Unit: strings.TrimSpace(c.PostForm("unit_code")),
		Grids: strings.TrimSpace(c.PostForm("grid_codes")), TierHead: c.PostForm("tier_head") != "",
	}
	u := gridwarn.User{Username: f.Username, DisplayName: f.DisplayName, Role: gridwarn.Role(f.Role),
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeKind(f.ScopeKind), UnitCode: f.Unit}, TierHead: f.TierHead}
	if u.Scope.Kind == gridwarn.ScopeGrids {
		for _, g := range gridList.Split(f.Grids, -1) {
			if g != "" {
				u.Scope.GridCodes = append(u.Scope.GridCodes, strings.ToUpper(g))
			}
		}
		// A grid scope names its county: the one of the unit chosen, else
		// the one of the grids.
		switch {
		case u.Scope.UnitCode != "":
			u.Scope.UnitCode = gridwarn.CountyOf(u.Scope.UnitCode)
		case len(u.Scope.GridCodes) > 0:
			u.Scope.UnitCode = gridwarn.CountyOf(u.Scope.GridCodes[0])
		}
	}
	if utf8.RuneCountInString(u.DisplayName) > 100 {
		s.renderUsers(c, http.StatusBadRequest, f, []gridwarn.FieldError{{Field: "display_name", Rule: "max_length", Message: "use at most 100 characters"}})
		return
	}
	created, err := s.svc.Users.CreateUser(c.Request.Context(), visibility(c), u)
	if err != nil {
		if code := gridwarn.ErrorCode(err); code == gridwarn.EINVALID || code == gridwarn.ECONFLICT {
			fs := gridwarn.ErrorFields(err)
			if len(fs) == 0 {
				fs = []gridwarn.FieldError{{Field: "username", Rule: code, Message: gridwarn.ErrorMessage(err)}}
			}
			status, _ := api.Status(err)
			s.renderUsers(c, status, f, fs)
			return
		}
		s.fail(c, err)
		return
	}
	s.redirect(c, "/ui/admin/users/"+strconv.FormatInt(created.ID, 10), "admin.user.created", false)
}

type adminUserView struct {
	User        gridwarn.User
	Labels      map[string]string
	Tokens      []gridwarn.Token
	Now         time.Time
	MinPassword int
	TokenName   string
	TokenDays   string
	Errors      []gridwarn.FieldError
}

// adminUserPage shows a person of the caller's scope and their tokens.
func (s *server) adminUserPage(c *gin.Context) {
	s.renderUser(c, http.StatusOK, nil, "", "")
}

func (s *server) renderUser(c *gin.Context, status int, errs []gridwarn.FieldError, tokenName, tokenDays string) {
	id, err := adminID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx, vis := c.Request.Context(), visibility(c)
	u, err := s.svc.Users.User(ctx, vis, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	tokens, err := s.svc.Users.Tokens(ctx, vis, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	_, labels, err := s.adminUnits(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "admin_user", "admin.user.title", adminUserView{User: *u, Labels: labels, Tokens: tokens, Now: s.now(),
		MinPassword: gridwarn.MinPasswordLength, TokenName: tokenName, TokenDays: tokenDays, Errors: errs})
}

// adminSetPassword sets a person's password (SessionService.SetPassword),
// which ends their sessions.
func (s *server) adminSetPassword(c *gin.Context) {
	id, err := adminID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	err = s.svc.Sessions.SetPassword(c.Request.Context(), visibility(c), id, c.PostForm("password"))
	switch gridwarn.ErrorCode(err) {
	case "":
		s.redirect(c, "/ui/admin/users/"+strconv.FormatInt(id, 10), "admin.user.password_set", false)
	case gridwarn.EINVALID:
		s.renderUser(c, http.StatusBadRequest, gridwarn.ErrorFields(err), "", "")
	default:
		s.fail(c, err)
	}
}

type adminTokenView struct {
	User   gridwarn.User
	Token  gridwarn.Token
	Secret string
}

// adminCreateToken creates an API token for a person and shows its
// secret on this one page, never again (only its hash is stored).
func (s *server) adminCreateToken(c *gin.Context) {
	id, err := adminID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx, vis := c.Request.Context(), visibility(c)
	name, days := strings.TrimSpace(c.PostForm("name")), strings.TrimSpace(c.PostForm("days"))
	var fs []gridwarn.FieldError
	if name == "" || utf8.RuneCountInString(name) > 100 {
		fs = append(fs, gridwarn.FieldError{Field: "name", Rule: "required", Message: catalogue[lang(c)]["admin.token.name_required"]})
	}
	var expires *time.Time
	if days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 3650 {
			fs = append(fs, gridwarn.FieldError{Field: "days", Rule: "range", Message: catalogue[lang(c)]["admin.token.days_invalid"]})
		} else {
			t := s.now().AddDate(0, 0, n)
			expires = &t
		}
	}
	if len(fs) > 0 {
		s.renderUser(c, http.StatusBadRequest, fs, name, days)
		return
	}
	u, err := s.svc.Users.User(ctx, vis, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	t, secret, err := s.svc.Users.CreateToken(ctx, vis, id, name, expires)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusCreated, "admin_token", "admin.token.title", adminTokenView{User: *u, Token: *t, Secret: secret})
}

// adminRevokeToken revokes a token of a person of the caller's scope and
// goes back to that person's page.
func (s *server) adminRevokeToken(c *gin.Context) {
	id, err := adminID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.svc.Users.RevokeToken(c.Request.Context(), visibility(c), id); err != nil {
		s.fail(c, err)
		return
	}
	to := "/ui/admin/users"
	if u, err := strconv.ParseInt(c.PostForm("user"), 10, 64); err == nil && u > 0 {
		to += "/" + strconv.FormatInt(u, 10)
	}
	s.redirect(c, to, "admin.token.revoked", false)
}
