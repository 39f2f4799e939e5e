package api

import (
	"context"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var usernameParam = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// contactBody is what an administrator sets when assigning.
type contactBody struct {
	Person     string                   `json:"person"`
	Enterprise string                   `json:"enterprise"`
	Workers    []gridwarn.ContactWorker `json:"workers"`
}

// GET /api/v1/contacts?person=&enterprise=&ended=&limit= — the "1+x"
// assignments the caller reads: leaders and administrators those of their
// scope, anyone else their own; person=me is the caller.
func (s *server) listContacts(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "person", "enterprise", "ended", "limit")
	person := q.get("person")
	if person == "me" {
		person = principal(c).Username
	} else {
		person = q.match("person", usernameParam, "must be a username or me")
	}
	f := gridwarn.ContactFilter{Person: person, Limit: q.limit(),
		Enterprise: q.match("enterprise", enterpriseCode, "must be an 18-character unified social credit code"),
		Ended:      enumParam(q, "ended", []string{"false", "true"}) == "true"}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.svc.Contacts.Contacts(c.Request.Context(), principal(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.ContactAssignment]{Items: nonNil(items)})
}

// POST /api/v1/contacts — link a person to an enterprise and the workers
// they follow (administrators of both).
func (s *server) assignContact(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	var b contactBody
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Contacts.AssignContact(c.Request.Context(), principal(c),
		gridwarn.ContactAssignment{Person: b.Person, Enterprise: b.Enterprise, Workers: b.Workers})
	respond(c, http.StatusCreated, out, err)
}

// GET /api/v1/contacts/{id} — one assignment with its history.
func (s *server) contact(c *gin.Context) {
	id, err := pathID(c)
	if err == nil {
		err = parseQuery(c.Request.URL.RawQuery).err()
	}
	if err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Contacts.Contact(c.Request.Context(), principal(c), id)
	respond(c, http.StatusOK, out, err)
}

// PUT /api/v1/contacts/{id} — the workers of a current assignment.
func (s *server) putContact(c *gin.Context) {
	id, err := pathID(c)
	if err == nil {
		err = parseQuery(c.Request.URL.RawQuery).err()
	}
	if err != nil {
		writeError(c, err)
		return
	}
	var b struct {
		Workers []gridwarn.ContactWorker `json:"workers"`
	}
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Contacts.ChangeContactWorkers(c.Request.Context(), principal(c), id, b.Workers)
	respond(c, http.StatusOK, out, err)
}

// POST /api/v1/contacts/{id}/end — end an assignment (it is kept).
func (s *server) endContact(c *gin.Context) {
	id, err := pathID(c)
	if err == nil {
		err = parseQuery(c.Request.URL.RawQuery).err()
	}
	if err != nil {
		writeError(c, err)
		return
	}
	var b struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Contacts.EndContact(c.Request.Context(), principal(c), id, b.Reason)
	respond(c, http.StatusOK, out, err)
}

// POST /api/v1/contacts/import?dry_run= — a contacts file (text/csv,
// English or Chinese headers); all rows or none.
func (s *server) importContacts(c *gin.Context) {
	by := principal(c).Username
	csvImport(c, s, csvio.ReadContacts, func(ctx context.Context, v gridwarn.Visibility, rows []gridwarn.ContactRow, dry bool) (gridwarn.ImportResult, error) {
		return s.svc.Contacts.ImportContacts(ctx, by, v, rows, dry)
	})
}
