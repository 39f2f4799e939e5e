package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// actionPaths are the URL names of the actions whose API route differs
// from the workflow's name (internal/api/api.go); the others are the same.
var actionPaths = map[workflow.Action]string{
	workflow.ActionHandDown: "hand-down",
	workflow.ActionNote:     "notes",
	workflow.ActionContact:  "contacts",
	workflow.ActionFollowUp: "follow-ups",
}

// actionPath is the URL name of a workflow action.
func actionPath(a workflow.Action) string {
	if p, ok := actionPaths[a]; ok {
		return p
	}
	return string(a)
}

// actionOf reads an action from the URL: its API name or its workflow name.
func actionOf(p string) (workflow.Action, bool) {
	for a, name := range actionPaths {
		if name == p {
			return a, true
		}
	}
	a := workflow.Action(p)
	return a, a.Valid()
}

// mainPath are the steps of a ticket's ordinary life; their buttons are the
// primary ones.
var mainPath = []workflow.Action{workflow.ActionClaim, workflow.ActionAccept, workflow.ActionStart, workflow.ActionReply,
	workflow.ActionReview, workflow.ActionCallback, workflow.ActionClose}

// ticketView is the ticket page.
type ticketView struct {
	T         *gridwarn.TicketDetail
	Name      string // the enterprise's name
	LeaseLive bool
	LeaseMine bool
	Events    []eventView
	History   []historyView
	Clocks    []clockView
	// Reporter: the reader sees the reporter's view (a grid worker: no
	// history, contact log or internal notes).
	Reporter bool
	// CanAct: the reader's role may change tickets; Forms are the actions
	// the workflow allows them now, Allowed their names.
	CanAct    bool
	Renew     bool // the reader holds the lease and may renew it (claim again)
	Forms     []actionForm
	Allowed   []string
	Conflict  *conflictView
	Problem   *problemView
	Recent    []historyView // the latest history lines, for the conflict box
	FollowUps []followUpView
	// DaysLeft is the mediation period's days left, when it runs.
	DaysLeft    int
	HasDaysLeft bool
	// Handoff is the hand-off panel (nil: none to show).
	Handoff *handoffView
	Version int
}

// actionForm is the form of one action.
type actionForm struct {
	Name   string // the workflow action
	Path   string // its URL name
	Main   bool
	Values url.Values // what was submitted (after an error), else defaults
	Errors []fieldMsg
	Opts   *formOptions
}

// V is a submitted value of the form.
func (f actionForm) V(k string) string { return f.Values.Get(k) }

// formOptions are the choices the forms offer.
type formOptions struct {
	Outcomes     []string
	Bodies       []string
	ContactKinds []string
	Visibility   []string
	Users        []option // the mediators of the ticket's unit, for assign
	FollowUps    []string // promised payment dates not yet recorded
}

// fieldMsg is a field error as the page shows it: the form field's label
// and the rule's message, with the service's field path and rule (the
// API's problem names the same) for the page's data attributes.
type fieldMsg struct{ Field, Text, Path, Rule string }

// conflictView says the ticket changed since the reader loaded it.
type conflictView struct {
	Action string
	Saw    int
}

// problemView says the action is not possible now (or not for the reader).
type problemView struct {
	Action  string
	Message string
}

type eventView struct {
	gridwarn.StoredEvent
	Collective string // "yes", "no" or "" (not reported)
	Fired      []firingView
}

type followUpView struct {
	gridwarn.FollowUp
	State string // paid, unpaid, pending
}

type firingView struct {
	Rule   string
	Level  gridwarn.Level
	Label  string
	Values string
}

type historyView struct {
	gridwarn.HistoryEntry
	Who      string
	From, To string
	Details  []historyDetail
}

type clockView struct {
	gridwarn.Clock
	State   string // running, met, breached, stopped
	Overdue bool
}

// actionState is what a failed form sends back to the page.
type actionState struct {
	Action   workflow.Action
	Values   url.Values
	Errors   []fieldMsg
	Conflict *conflictView
	Problem  *problemView
}

func ticketID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// ticketPage shows a ticket: its events and why they have their level,
// its history, its clocks and work records, and a form for every action
// the reader may take now.
func (s *server) ticketPage(c *gin.Context) {
	id, ok := ticketID(c)
	if !ok {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "no such ticket"))
		return
	}
	s.showTicket(c, id, http.StatusOK, nil)
}

// showTicket renders the ticket as it is now, with what a failed form
// sends back.
func (s *server) showTicket(c *gin.Context, id int64, status int, st *actionState) {
	p := principal(c)
	d, err := s.svc.Tickets.Ticket(c.Request.Context(), authz.Visibility(p, authz.ReadTickets), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	l, now := lang(c), s.now()
	v := ticketView{T: d, Reporter: p.Role == gridwarn.RoleGridWorker,
		CanAct:    authz.Can(p.Role, authz.ChangeTickets),
		LeaseLive: d.ClaimedBy != "" && d.LeaseExpiresAt != nil && d.LeaseExpiresAt.After(now)}
	v.LeaseMine = v.LeaseLive && d.ClaimedBy == p.Username
	v.Name = s.enterpriseNames(c, []string{d.Enterprise})[d.Enterprise]
	for _, e := range d.Events {
		v.Events = append(v.Events, eventOf(e, l))
	}
	for _, h := range d.History {
		v.History = append(v.History, s.historyOf(h, l))
	}
	v.Recent = v.History[max(0, len(v.History)-3):]
	for _, f := range d.FollowUps {
		fv := followUpView{FollowUp: f, State: "pending"}
		if f.Paid != nil {
			fv.State = map[bool]string{true: "paid", false: "unpaid"}[*f.Paid]
		}
		v.FollowUps = append(v.FollowUps, fv)
	}
	if d.Legal != nil && d.Legal.MediationDaysLeft != nil {
		v.DaysLeft, v.HasDaysLeft = *d.Legal.MediationDaysLeft, true
	}
	for _, k := range d.Clocks {
		cv := clockView{Clock: k, State: "running"}
		switch {
		case k.BreachedAt != nil:
			cv.State = "breached"
		case k.StoppedAt != nil && k.StopReason == "met":
			cv.State = "met"
		case k.StoppedAt != nil:
			cv.State = "stopped"
		default:
			cv.Overdue = k.DueAt.Before(now)
		}
		v.Clocks = append(v.Clocks, cv)
	}
	if v.CanAct {
		allowed, err := s.allowedActions(c, p, d)
		if err != nil {
			s.fail(c, err)
			return
		}
		v.Handoff, v.Version = s.handoffPanel(c, p, id, allowed), d.Version
		opts := s.formOptions(c, p, d, allowed)
		order := append(slices.Clone(mainPath), slices.DeleteFunc(slices.Clone(workflow.Actions),
			func(a workflow.Action) bool { return slices.Contains(mainPath, a) })...)
		for _, a := range order {
			if !slices.Contains(allowed, a) {
				continue
			}
			if a == workflow.ActionClaim && v.LeaseMine {
				// Claiming one's own ticket renews the lease: a small
				// button by the lease, not a step of the work.
				v.Renew = true
				continue
			}
			v.Allowed = append(v.Allowed, string(a))
			f := actionForm{Name: string(a), Path: actionPath(a), Main: slices.Contains(mainPath, a), Opts: opts,
				Values: s.formDefaults(a, now)}
			if st != nil && st.Action == a {
				f.Values, f.Errors = st.Values, st.Errors
			}
			v.Forms = append(v.Forms, f)
		}
	}
	if st != nil {
		v.Conflict, v.Problem = st.Conflict, st.Problem
		// The page answers a form: its links (the language switch) go
		// back to the ticket, not to the form's address.
		c.Request.URL.Path, c.Request.URL.RawPath, c.Request.URL.RawQuery = fmt.Sprintf("/ui/tickets/%d", id), "", ""
	}
	s.render(c, status, "ticket", "work.ticket.title", v)
}

// allowedActions lists the actions p may take on the ticket now, as the
// service decides them (the list a refused action's 409 gives).
func (s *server) allowedActions(c *gin.Context, p *gridwarn.Principal, d *gridwarn.TicketDetail) ([]workflow.Action, error) {
	if p == nil || !authz.Can(p.Role, authz.ChangeTickets) {
		return nil, nil
	}
	names, err := s.svc.Work.Allowed(c.Request.Context(), p, authz.Visibility(p, authz.ChangeTickets), d.ID)
	if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
		return nil, nil
	}
	out := make([]workflow.Action, 0, len(names))
	for _, n := range names {
		out = append(out, workflow.Action(n))
	}
	return out, err
}

// formOptions gathers the choices of the forms: for assign, the active
// mediators of the ticket's unit (a free text field when they cannot be
// listed); for follow_up, the promised dates not yet recorded.
func (s *server) formOptions(c *gin.Context, p *gridwarn.Principal, d *gridwarn.TicketDetail, allowed []workflow.Action) *formOptions {
	o := &formOptions{Outcomes: gridwarn.Outcomes, Bodies: gridwarn.ReferralBodies, ContactKinds: gridwarn.ContactKinds,
		Visibility: gridwarn.NoteVisibilities}
	for _, f := range d.FollowUps {
		if f.Paid == nil {
			o.FollowUps = append(o.FollowUps, f.DueOn)
		}
	}
	if slices.Contains(allowed, workflow.ActionAssign) && s.svc.Users != nil {
		us, err := s.svc.Users.Users(c.Request.Context(), gridwarn.VisibilityOf(p.Scope),
			gridwarn.UserFilter{Role: gridwarn.RoleMediator, Limit: 500})
		if err == nil {
			for _, u := range us {
				if !u.Disabled && gridwarn.WorksAtTier(u.Scope, d.Ticket) {
					label := u.Username
					if u.DisplayName != "" {
						label = u.DisplayName + " (" + u.Username + ")"
					}
					o.Users = append(o.Users, option{Value: u.Username, Label: label})
				}
			}
		}
	}
	return o
}

// formDefaults are a fresh form's values.
func (s *server) formDefaults(a workflow.Action, now time.Time) url.Values {
	v := url.Values{}
	switch a {
	case workflow.ActionContact:
		v.Set("held_at", now.In(s.loc).Format(dateTimeLocal))
	case workflow.ActionNote:
		v.Set("visibility", "internal")
	}
	return v
}

// ticketAction takes one step of the ticket's life from its form and goes
// back to the ticket (Post/Redirect/Get). A stale version shows the ticket
// as it is now and applies nothing; an action the ticket does not admit
// now says so with what is allowed; invalid fields are shown at the form.
// The status is the API's for the same error (api.Status): 412 for a
// stale version, 409, 403, 400.
func (s *server) ticketAction(c *gin.Context) {
	id, ok := ticketID(c)
	if ok && c.Param("action") == "handoff" && s.svc.Handoffs != nil {
		s.handOff(c, id)
		return
	}
	a, known := actionOf(c.Param("action"))
	if !ok || !known {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "no such page"))
		return
	}
	version, err := strconv.Atoi(c.PostForm("version"))
	if err != nil || version < 1 {
		s.fail(c, gridwarn.Errorf(gridwarn.EPRECONDITIONREQUIRED, "the form lacks the ticket's version; reload the ticket"))
		return
	}
	l := lang(c)
	st := &actionState{Action: a, Values: c.Request.PostForm}
	body, bad := s.actionBody(c.Request.PostForm, a)
	if len(bad) > 0 {
		st.Errors = fieldMsgs(l, bad)
		s.showTicket(c, id, http.StatusBadRequest, st)
		return
	}
	_, err = s.svc.Work.Act(c.Request.Context(), principal(c), visibility(c),
		gridwarn.ActionRequest{TicketID: id, Action: string(a), IfMatch: version, Body: body})
	if err == nil {
		s.redirect(c, fmt.Sprintf("/ui/tickets/%d", id), "work.done."+string(a), false)
		return
	}
	status, code := api.Status(err)
	switch code {
	case gridwarn.EPRECONDITION:
		st.Conflict = &conflictView{Action: string(a), Saw: version}
	case gridwarn.ECONFLICT, gridwarn.EFORBIDDEN:
		st.Problem = &problemView{Action: string(a), Message: s.problemText(c, l, id, code)}
	case gridwarn.EINVALID:
		st.Errors = fieldMsgs(l, gridwarn.ErrorFields(err))
		if len(st.Errors) == 0 {
			st.Errors = []fieldMsg{{Text: errorDetail(l, err)}}
		}
	default:
		s.fail(c, err)
		return
	}
	s.showTicket(c, id, status, st)
}

// problemText says in the page's language why the workflow refused an
// action: the ticket's state for a conflict, who may take it for a refusal
// (the page lists what the reader may do now).
func (s *server) problemText(c *gin.Context, l string, id int64, code string) string {
	if code == gridwarn.EFORBIDDEN {
		return catalogue[l]["work.problem.forbidden"]
	}
	status := "—"
	if d, err := s.svc.Tickets.Ticket(c.Request.Context(), authz.Visibility(principal(c), authz.ReadTickets), id); err == nil {
		status = labelOf(l, string(d.Status))
	}
	return fmt.Sprintf(catalogue[l]["work.problem.conflict"], status)
}

// dateTimeLocal is the value format of <input type="datetime-local">.
const dateTimeLocal = "2006-01-02T15:04"

var (
	listSep = regexp.MustCompile(`[\s,，;；、]+`)
	nameSep = regexp.MustCompile(`[\n,，;；、]+`)
)

// actionBody reads the fields action a takes from its form: it only
// parses what a form writes differently from the API (yes/no, local date
// and time, numbers with separators, lists in one text box) and reports
// what it cannot read; the service normalises and checks the values
// (gridwarn.ActionRequest.Validate) and the fields the action needs.
func (s *server) actionBody(form url.Values, a workflow.Action) (gridwarn.ActionBody, []gridwarn.FieldError) {
	var (
		b   gridwarn.ActionBody
		bad []gridwarn.FieldError
	)
	fail := func(f, rule, msg string) { bad = append(bad, gridwarn.FieldError{Field: f, Rule: rule, Message: msg}) }
	text := form.Get
	yesNo := func(f string) *bool {
		switch strings.TrimSpace(form.Get(f)) {
		case "":
			return nil
		case "yes", "true":
			return new(true)
		case "no", "false":
			return new(false)
		}
		fail(f, "enum", "must be yes or no")
		return nil
	}
	moment := func(f string) *time.Time {
		v := strings.TrimSpace(form.Get(f))
		if v == "" {
			return nil
		}
		for _, layout := range []string{dateTimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
			if t, err := time.ParseInLocation(layout, v, s.loc); err == nil {
				return &t
			}
		}
		fail(f, "datetime", "must be a date and time")
		return nil
	}
	number := func(f string) float64 {
		v := strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", " ", "").Replace(form.Get(f))
		if v == "" {
			return 0
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fail(f, "number", "must be a number")
			return 0
		}
		return n
	}
	switch a {
	case workflow.ActionAssign:
		b.Assignee = text("assignee")
	case workflow.ActionDispatch, workflow.ActionAccept, workflow.ActionStart, workflow.ActionClose:
		b.Note = text("note")
	case workflow.ActionReply:
		o := &gridwarn.Outcome{Result: text("outcome_result"), AmountRecoveredCNY: number("amount_recovered_cny"),
			AgreementDate: text("agreement_date")}
		if w := number("workers_covered"); w != math.Trunc(w) || math.Abs(w) > math.MaxInt32 {
			fail("workers_covered", "number", "must be a whole number")
		} else {
			o.WorkersCovered = int(w)
		}
		o.PromisedPayments = listSep.Split(strings.TrimSpace(form.Get("promised_payments")), -1)
		if strings.TrimSpace(o.Result) != "" {
			b.Outcome = o // without a result, the service says the outcome is missing
		}
		b.Note = text("note")
	case workflow.ActionReview:
		b.Approved, b.Note = yesNo("approved"), text("note")
	case workflow.ActionCallback:
		b.Satisfied, b.Note = yesNo("satisfied"), text("note")
	case workflow.ActionReturn, workflow.ActionEscalate, workflow.ActionReopen:
		b.Reason = text("reason")
	case workflow.ActionHandDown:
		b.Instructions = text("instructions")
	case workflow.ActionExtend:
		b.DueAt, b.Reason = moment("due_at"), text("reason")
	case workflow.ActionMerge:
		if v := strings.TrimPrefix(strings.TrimSpace(form.Get("into")), "#"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				fail("into", "number", "must be a ticket number")
			}
			b.Into = n
		}
		b.Note = text("note")
	case workflow.ActionRefer:
		b.Body, b.Reference, b.Note = text("body"), text("reference"), text("note")
	case workflow.ActionNote:
		b.Note, b.Visibility = text("note"), text("visibility")
	case workflow.ActionContact:
		ct := &gridwarn.Contact{Kind: text("contact_kind"), Place: text("place"), Summary: text("summary"),
			Attendees: nameSep.Split(text("attendees"), -1)}
		if held := moment("held_at"); held != nil {
			ct.HeldAt = *held
		}
		b.Contact = ct
	case workflow.ActionFollowUp:
		b.FollowUpOn = text("follow_up_on")
		b.Paid, b.Note = yesNo("paid"), text("note")
	}
	return b, bad
}

// formFields are the form fields of the service's field paths that the
// forms name otherwise; any other "outcome." or "contact." path is the
// form field of its last part.
var formFields = map[string]string{"outcome.result": "outcome_result", "contact.kind": "contact_kind"}

// formField is the form field of a field path of the service.
func formField(path string) string {
	if f, ok := formFields[path]; ok {
		return f
	}
	for _, p := range []string{"outcome.", "contact."} {
		if rest, ok := strings.CutPrefix(path, p); ok {
			return rest
		}
	}
	return path
}

// fieldMsgs translates field errors for the page: the field's label and
// the rule's message (the service's own message when the rule has none).
func fieldMsgs(lang string, fs []gridwarn.FieldError) []fieldMsg {
	m := catalogue[lang]
	out := make([]fieldMsg, 0, len(fs))
	for _, f := range fs {
		fm := fieldMsg{Field: formField(f.Field), Text: ruleText(lang, f, "work.rule."), Path: f.Field, Rule: f.Rule}
		if l, ok := m["work.field."+fm.Field]; ok {
			fm.Field = l
		} else if l, ok := m["field."+f.Field]; ok {
			fm.Field = l
		}
		out = append(out, fm)
	}
	return out
}

// eventOf explains an event's level in the page's language.
func eventOf(e gridwarn.StoredEvent, lang string) eventView {
	v := eventView{StoredEvent: e}
	if e.Collective != nil {
		v.Collective = map[bool]string{true: "yes", false: "no"}[*e.Collective]
	}
	for _, f := range e.Decision.Fired {
		fv := firingView{Rule: f.Rule, Level: f.Level, Label: f.LabelZH}
		if lang == "en" && f.LabelEN != "" || fv.Label == "" {
			fv.Label = f.LabelEN
		}
		if fv.Label == "" {
			fv.Label = f.Rule
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(f.Values)) {
			parts = append(parts, k+" = "+plain(f.Values[k]))
		}
		fv.Values = strings.Join(parts, "; ")
		v.Fired = append(v.Fired, fv)
	}
	return v
}

// historyOf makes a history line readable: who, from and to as labels
// (only when the line changes something), and its data as labelled,
// formatted values (historyDetails). A note written by the system (the
// sweeper, the engine) is English for the log; the line's kind and its
// details say the same in the page's language, so it is not shown.
func (s *server) historyOf(h gridwarn.HistoryEntry, lang string) historyView {
	m := catalogue[lang]
	v := historyView{HistoryEntry: h, Who: h.Actor}
	if h.From != h.To {
		v.From, v.To = labelOf(lang, h.From), labelOf(lang, h.To)
	}
	switch {
	case strings.HasPrefix(h.Actor, "user:"):
		v.Who = strings.TrimPrefix(h.Actor, "user:")
	case h.Actor == gridwarn.ActorEngine:
		v.Who, v.Note = m["work.actor.engine"], ""
	case h.Actor == gridwarn.ActorSweeper:
		v.Who, v.Note = m["work.actor.sweeper"], ""
	default:
		v.Note = ""
	}
	if len(h.Data) > 0 {
		var data any
		if json.Unmarshal(h.Data, &data) == nil {
			s.historyDetails(lang, "", data, &v.Details)
		}
	}
	return v
}

// historyDetail is one value of a history line: its key (the data's
// path, for tests and styling), its label and its value, both in the
// page's language.
type historyDetail struct{ Key, Label, Value string }

// historyDetails writes a history line's JSON data as labelled values in
// key order: nested objects by their path ("outcome.result"), a decision's
// keys as the line's own, a from/to pair as "from → to"; each value
// formatted for its key (historyValue).
func (s *server) historyDetails(lang, key string, v any, out *[]historyDetail) {
	if x, ok := v.(map[string]any); ok {
		from, hasFrom := x["from"]
		to, hasTo := x["to"]
		if key != "" && hasFrom && hasTo && len(x) == 2 {
			*out = append(*out, historyDetail{Key: key, Label: historyLabel(lang, key),
				Value: s.historyValue(lang, key, from) + " → " + s.historyValue(lang, key, to)})
			return
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			name := k
			if key != "" && key != "decision" {
				name = key + "." + k
			}
			s.historyDetails(lang, name, x[k], out)
		}
		return
	}
	if v == nil || v == "" {
		return
	}
	*out = append(*out, historyDetail{Key: key, Label: historyLabel(lang, key), Value: s.historyValue(lang, key, v)})
}

// historyLabel names a history data key: "hist.<key>", else the key
// (TestHistoryKeysTranslated and the ticket-life test catch that).
func historyLabel(lang, key string) string {
	if l, ok := catalogue[lang]["hist."+key]; ok {
		return l
	}
	return key
}

// historyValue formats one value of a history line for its key: amounts
// as money, booleans as the key's words, ticket numbers with "#", codes as
// labels, times in local time, lists joined.
func (s *server) historyValue(lang, key string, v any) string {
	m := catalogue[lang]
	last := key[strings.LastIndexByte(key, '.')+1:]
	switch x := v.(type) {
	case bool:
		if t, ok := m[fmt.Sprintf("hist.%s.%t", last, x)]; ok {
			return t
		}
		return m[map[bool]string{true: "form.yes", false: "form.no"}[x]]
	case float64:
		switch last {
		case "amount_recovered_cny", "amount_cny", "owed_cny":
			return money(x)
		case "into", "relapse_of", "ticket":
			return "#" + plain(x)
		case "workers_covered":
			return fmt.Sprintf(m["hist.people"], int(x))
		}
		return plain(x)
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(s.loc).Format("2006-01-02 15:04")
		}
		for _, p := range historyCodes[last] {
			if l, ok := m[p+x]; ok {
				return l
			}
		}
		return labelOf(lang, x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if f, ok := e.(map[string]any); ok && f["rule"] != nil {
				parts = append(parts, ruleLabel(lang, f))
				continue
			}
			parts = append(parts, s.historyValue(lang, key, e))
		}
		return strings.Join(parts, m["hist.list_sep"])
	}
	return plain(v)
}

// historyCodes are the catalogue prefixes of the codes a key's values are
// (before the general labelPrefixes).
var historyCodes = map[string][]string{
	"result":            {"work.outcome."},
	"kind":              {"work.contact."},
	"body":              {"work.referral."},
	"update":            {"work.referral.update."},
	"visibility":        {"work.note."},
	"clock":             {"work.clock."},
	"clock_tier":        {"tier."},
	"tier":              {"tier."},
	"level":             {"level."},
	"absorbed_category": {"category."},
}

// labelPrefixes are the kinds of code a history line's values may hold.
var labelPrefixes = []string{"status.", "tier.", "level.", "category.", "work.outcome.", "work.referral.", "work.contact.", "work.note.", "work.clock."}

// labelOf names a code when the catalogue knows it, else shows it.
func labelOf(lang, code string) string {
	if code == "" {
		return ""
	}
	m := catalogue[lang]
	for _, p := range labelPrefixes {
		if l, ok := m[p+code]; ok {
			return l
		}
	}
	return code
}

// plain shows a JSON value: whole numbers without a fraction, lists joined.
func plain(v any) string {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = plain(e)
		}
		return strings.Join(parts, ", ")
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ruleLabel names a fired rule as stored in a history line.
func ruleLabel(lang string, f map[string]any) string {
	for _, k := range []string{"label_" + lang, "label_zh", "label_en", "rule"} {
		if l, ok := f[k].(string); ok && l != "" {
			return l
		}
	}
	return ""
}
