package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The "1+x" contacts' pages (issue 16, seed 004): a person sees their own
// assignment — the enterprise, the workers in difficulty they follow (by
// hardship-file label), their last visit and whether it was this year, and
// a link to record a visit; leaders and administrators see their scope's;
// an administrator assigns (a form), ends (with a reason) and imports a
// CSV file (a dry run first). Every change goes through the contact
// service, the API's door.

func (s *server) contactRoutes(g *gin.RouterGroup) {
	g.GET("/contacts", s.allow(authz.ReadContacts), s.contactsPage)
	g.GET("/contacts/:id", s.allow(authz.ReadContacts), s.contactPage)
	g.POST("/contacts", s.allow(authz.WriteContacts), s.assignContact)
	g.POST("/contacts/import", s.allow(authz.WriteContacts), s.importContacts)
	g.POST("/contacts/:id/end", s.allow(authz.WriteContacts), s.endContact)
}

// contactsLimit is how many of the scope's assignments the page lists.
const contactsLimit = 200

// contactsView is the data of templates/contacts.html.
type contactsView struct {
	Mine      []gridwarn.ContactAssignment
	Scope     []gridwarn.ContactAssignment
	ShowScope bool // a leader or administrator: the scope's assignments
	Ended     bool // ended ones listed too
	CanRecord bool // the caller records visits: a link to the form
	CanWrite  bool // the caller assigns, ends and imports

	Assign       contactForm
	Import       contactImport
	Errors       []gridwarn.FieldError
	Refused      string // a whole-request refusal, translated
	Difficulties []gridwarn.Difficulty
}

// contactForm is the assign form as typed.
type contactForm struct {
	Person, Enterprise, Workers string
}

// contactImport is the import form and what the last import said.
type contactImport struct {
	CSV    string
	DryRun bool
	Result *gridwarn.ImportResult
	Rows   []adminImportRow
}

func (s *server) contactsView(c *gin.Context) (contactsView, error) {
	p := principal(c)
	v := contactsView{
		ShowScope:    p.Role == gridwarn.RoleLeader || p.Role == gridwarn.RoleAdmin,
		Ended:        c.Query("ended") == "true",
		CanRecord:    authz.Can(p.Role, authz.RecordVisits),
		CanWrite:     authz.Can(p.Role, authz.WriteContacts),
		Import:       contactImport{DryRun: true},
		Difficulties: gridwarn.Difficulties,
	}
	if s.svc.Contacts == nil {
		return v, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "contacts are not available")
	}
	ctx := c.Request.Context()
	var err error
	if slicesContains(gridwarn.ContactRoles, p.Role) {
		if v.Mine, err = s.svc.Contacts.Contacts(ctx, p, gridwarn.ContactFilter{Person: p.Username, Limit: contactsLimit}); err != nil {
			return v, err
		}
	}
	if v.ShowScope {
		v.Scope, err = s.svc.Contacts.Contacts(ctx, p, gridwarn.ContactFilter{Ended: v.Ended, Limit: contactsLimit})
	}
	return v, err
}

func slicesContains(rs []gridwarn.Role, r gridwarn.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// GET /ui/contacts — one's own contact and, for leaders and
// administrators, the scope's (?ended=true: the ended ones too).
func (s *server) contactsPage(c *gin.Context) {
	v, err := s.contactsView(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "contacts", "contact.title", v)
}

// GET /ui/contacts/{id} — one assignment with its history (404 outside
// the caller's scope, as the API).
func (s *server) contactPage(c *gin.Context) {
	id, err := adminID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.svc.Contacts == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "contacts are not available"))
		return
	}
	a, err := s.svc.Contacts.Contact(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	s.render(c, http.StatusOK, "contact", "contact.one_title", contactView{Contact: a,
		CanWrite: authz.Can(p.Role, authz.WriteContacts), CanRecord: authz.Can(p.Role, authz.RecordVisits) && a.Person == p.Username})
}

// contactView is the data of templates/contact.html.
type contactView struct {
	Contact   *gridwarn.ContactAssignment
	CanWrite  bool
	CanRecord bool
}

// parseContactWorkers reads the assign form's workers: one a line, "label,
// difficulty, since, note" (commas, Chinese commas or tabs; since and note
// optional); the difficulty is its code or its name in either language.
func parseContactWorkers(text string) []gridwarn.ContactWorker {
	byName := map[string]gridwarn.Difficulty{}
	for _, d := range gridwarn.Difficulties {
		byName[string(d)] = d
		for _, l := range languages {
			if m, ok := catalogue[l]["contact.difficulty."+string(d)]; ok {
				byName[m] = d
			}
		}
	}
	ws := []gridwarn.ContactWorker{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '，' || r == '\t' })
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		w := gridwarn.ContactWorker{Label: parts[0]}
		if len(parts) > 1 {
			w.Difficulty = gridwarn.Difficulty(parts[1])
			if d, ok := byName[parts[1]]; ok {
				w.Difficulty = d
			}
		}
		if len(parts) > 2 {
			w.Since = parts[2]
		}
		if len(parts) > 3 {
			w.Note = strings.Join(parts[3:], ", ")
		}
		ws = append(ws, w)
	}
	return ws
}

// POST /ui/contacts — assign a person to an enterprise (the API's
// POST /api/v1/contacts).
func (s *server) assignContact(c *gin.Context) {
	f := contactForm{Person: strings.TrimSpace(c.PostForm("person")), Enterprise: strings.ToUpper(strings.TrimSpace(c.PostForm("enterprise"))),
		Workers: c.PostForm("workers")}
	if s.svc.Contacts == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "contacts are not available"))
		return
	}
	a, err := s.svc.Contacts.AssignContact(c.Request.Context(), principal(c),
		gridwarn.ContactAssignment{Person: f.Person, Enterprise: f.Enterprise, Workers: parseContactWorkers(f.Workers)})
	if err == nil {
		s.redirect(c, "/ui/contacts/"+strconv.FormatInt(a.ID, 10), "contact.assigned", false)
		return
	}
	s.contactsRefused(c, err, func(v *contactsView) { v.Assign = f })
}

// contactsRefused shows the contacts page again with what the service
// refused: field errors beside the form, or the whole request's reason.
func (s *server) contactsRefused(c *gin.Context, err error, keep func(*contactsView)) {
	code := gridwarn.ErrorCode(err)
	if code != gridwarn.EINVALID && code != gridwarn.EUNPROCESSABLE && code != gridwarn.ECONFLICT {
		s.fail(c, err)
		return
	}
	v, verr := s.contactsView(c)
	if verr != nil {
		s.fail(c, verr)
		return
	}
	keep(&v)
	v.Errors = gridwarn.ErrorFields(err)
	if len(v.Errors) == 0 {
		v.Refused = errorDetail(lang(c), err)
	}
	status, _ := api.Status(err)
	s.render(c, status, "contacts", "contact.title", v)
}

// POST /ui/contacts/{id}/end — end an assignment with a reason (the API's
// POST /api/v1/contacts/{id}/end; 404 outside the caller's scope).
func (s *server) endContact(c *gin.Context) {
	id, err := adminID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.svc.Contacts == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "contacts are not available"))
		return
	}
	if _, err := s.svc.Contacts.EndContact(c.Request.Context(), principal(c), id, strings.TrimSpace(c.PostForm("reason"))); err != nil {
		if gridwarn.ErrorCode(err) == gridwarn.EINVALID || gridwarn.ErrorCode(err) == gridwarn.ECONFLICT {
			s.redirect(c, "/ui/contacts/"+strconv.FormatInt(id, 10), "contact.end_refused", true)
			return
		}
		s.fail(c, err)
		return
	}
	s.redirect(c, "/ui/contacts/"+strconv.FormatInt(id, 10), "contact.ended", false)
}

// POST /ui/contacts/import — a contacts file (upload or pasted), a dry
// run unless unticked: the same reader and service as
// POST /api/v1/contacts/import.
func (s *server) importContacts(c *gin.Context) {
	imp := contactImport{DryRun: c.PostForm("dry_run") != ""}
	keep := func(v *contactsView) { v.Import = imp }
	data, err := adminUpload(c, "file", "csv", maxImportBytes)
	switch {
	case errors.Is(err, errUploadTooLarge):
		s.contactsRefused(c, gridwarn.Errorf(gridwarn.EINVALID, "too large"), keep)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	if c.PostForm("csv") != "" {
		imp.CSV = string(data)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		s.contactsRefused(c, gridwarn.Invalid("empty", gridwarn.FieldError{Field: "file", Rule: "required", Message: "is empty"}), keep)
		return
	}
	rows, err := csvio.ReadContacts(bytes.NewReader(data))
	if err != nil {
		var es csvio.Errors
		if !errors.As(err, &es) {
			s.fail(c, err)
			return
		}
		for _, r := range es {
			imp.Rows = append(imp.Rows, adminImportRow{Line: r.Line, Column: r.Column, Value: r.Value, Reason: csvReason(lang(c), r.Problem)})
		}
		s.renderContactImport(c, http.StatusBadRequest, imp)
		return
	}
	res, err := s.svc.Contacts.ImportContacts(c.Request.Context(), principal(c).Username, visibility(c), rows, imp.DryRun)
	if err != nil {
		code := gridwarn.ErrorCode(err)
		if code != gridwarn.EINVALID && code != gridwarn.EUNPROCESSABLE {
			s.fail(c, err)
			return
		}
		status, _ := api.Status(err)
		for _, f := range gridwarn.ErrorFields(err) {
			imp.Rows = append(imp.Rows, adminImportRow{Record: f.Field, Reason: ruleText(lang(c), f)})
		}
		if len(imp.Rows) == 0 {
			imp.Rows = []adminImportRow{{Record: catalogue[lang(c)]["admin.import.whole_file"], Reason: errorDetail(lang(c), err)}}
		}
		s.renderContactImport(c, status, imp)
		return
	}
	imp.Result = &res
	s.renderContactImport(c, http.StatusOK, imp)
}

func (s *server) renderContactImport(c *gin.Context, status int, imp contactImport) {
	v, err := s.contactsView(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v.Import = imp
	s.render(c, status, "contacts", "contact.title", v)
}
