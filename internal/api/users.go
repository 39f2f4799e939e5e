package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// GET /api/v1/me
func (s *server) me(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, principal(c).User)
}

// GET /api/v1/users
func (s *server) listUsers(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "role", "limit", "cursor")
	f := gridwarn.UserFilter{Role: enumParam(q, "role", gridwarn.Roles), AfterID: q.cursor(userCursor), Limit: q.limit()}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	limit := f.Limit
	f.Limit++
	us, err := s.svc.Users.Users(c.Request.Context(), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, page(us, limit, userCursor, func(u gridwarn.User) int64 { return u.ID }))
}

// userCursor lists users by ascending id.
const userCursor = "u1:"

// GET /api/v1/users/{id}
func (s *server) user(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	u, err := s.svc.Users.User(c.Request.Context(), visibility(c), id)
	respond(c, http.StatusOK, u, err)
}

// userBody is what a client may set on a new person; id, created_at and
// disabled belong to the server.
type userBody struct {
	Username    string         `json:"username"`
	DisplayName string         `json:"display_name"`
	Role        gridwarn.Role  `json:"role"`
	Scope       gridwarn.Scope `json:"scope"`
	TierHead    bool           `json:"tier_head"`
}

// POST /api/v1/users
func (s *server) createUser(c *gin.Context) {
	var b userBody
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	u, err := s.svc.Users.CreateUser(c.Request.Context(), visibility(c), gridwarn.User{
		Username: b.Username, DisplayName: b.DisplayName, Role: b.Role, Scope: b.Scope, TierHead: b.TierHead})
	respond(c, http.StatusCreated, u, err)
}

// GET /api/v1/users/{id}/tokens
func (s *server) listTokens(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil { // strict, like every list
		writeError(c, err)
		return
	}
	if _, err := s.svc.Users.User(c.Request.Context(), visibility(c), id); err != nil {
		writeError(c, err)
		return
	}
	ts, err := s.svc.Users.Tokens(c.Request.Context(), visibility(c), id)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.Token]{Items: nonNil(ts)})
}

// tokenBody asks for a token.
type tokenBody struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// createdToken is the one time a token's secret is shown.
type createdToken struct {
	Token  *gridwarn.Token `json:"token"`
	Secret string          `json:"secret"`
}

// POST /api/v1/users/{id}/tokens
func (s *server) createToken(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var b tokenBody
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	if b.Name = strings.TrimSpace(b.Name); len(b.Name) > 100 {
		writeError(c, gridwarn.Invalid("invalid token", gridwarn.FieldError{Field: "name", Rule: "max_length", Message: "must be at most 100 characters"}))
		return
	}
	if b.ExpiresAt != nil && !b.ExpiresAt.After(time.Now()) {
		writeError(c, gridwarn.Invalid("invalid token", gridwarn.FieldError{Field: "expires_at", Rule: "future", Message: "must be in the future"}))
		return
	}
	t, secret, err := s.svc.Users.CreateToken(c.Request.Context(), visibility(c), id, b.Name, b.ExpiresAt)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdToken{Token: t, Secret: secret})
}

// POST /api/v1/tokens/{id}/revoke
func (s *server) revokeToken(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.svc.Users.RevokeToken(c.Request.Context(), visibility(c), id); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
