package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// actionFields are the body fields each action accepts; any other field is
// a 400 naming it (a body cannot set what the action does not own).
var actionFields = map[workflow.Action][]string{
	workflow.ActionClaim:    {},
	workflow.ActionUnclaim:  {},
	workflow.ActionAssign:   {"assignee"},
	workflow.ActionDispatch: {"note"},
	workflow.ActionAccept:   {"note"},
	workflow.ActionStart:    {"note"},
	workflow.ActionReply:    {"outcome", "note"},
	workflow.ActionReview:   {"approved", "note"},
	workflow.ActionCallback: {"satisfied", "note"},
	workflow.ActionClose:    {"note"},
	workflow.ActionReturn:   {"reason"},
	workflow.ActionEscalate: {"reason"},
	workflow.ActionHandDown: {"instructions"},
	workflow.ActionExtend:   {"due_at", "reason"},
	workflow.ActionReopen:   {"reason"},
	workflow.ActionMerge:    {"into", "note"},
	workflow.ActionRefer:    {"body", "body_name", "reference", "note"},
	workflow.ActionNote:     {"note", "visibility"},
	workflow.ActionContact:  {"contact"},
	workflow.ActionFollowUp: {"follow_up_on", "paid", "note"},
}

// ifMatch reads the version the caller saw: If-Match is required on every
// change (428 without it) and must hold one version ("7", 7 or W/"7").
func ifMatch(c *gin.Context) (int, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		return 0, gridwarn.Errorf(gridwarn.EPRECONDITIONREQUIRED, "a change needs If-Match with the ticket's ETag (GET the ticket first)")
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil || v < 1 {
		return 0, gridwarn.Invalid("invalid If-Match", gridwarn.FieldError{Field: "If-Match", Rule: "etag", Message: "must be the ETag of the ticket, e.g. \"7\""})
	}
	return v, nil
}

// etag is a ticket version as an entity tag.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// action handles POST /api/v1/tickets/{id}/<action>: one route per action
// of the state machine, so each is documented, authorized and audited on
// its own. It only parses (the path, If-Match, the fields this action
// takes, their JSON types); the service validates the values
// (gridwarn.ActionRequest.Validate) as it does for every caller.
func (s *server) action(a workflow.Action) gin.HandlerFunc {
	allowed := actionFields[a]
	return func(c *gin.Context) {
		id, err := pathID(c)
		if err != nil {
			writeError(c, err)
			return
		}
		version, err := ifMatch(c)
		if err != nil {
			writeError(c, err)
			return
		}
		var body gridwarn.ActionBody
		if c.Request.ContentLength != 0 || c.GetHeader("Content-Type") != "" {
			if _, params, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err == nil &&
				params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") {
				writeError(c, gridwarn.Errorf(eUnsupportedMediaType, "the request body must be application/json"))
				return
			}
			raw, err := readBody(c, s.maxBodyBytes, "application/json")
			if err != nil {
				writeError(c, err)
				return
			}
			data, _ := io.ReadAll(raw)
			if err := checkActionFields(data, allowed); err != nil {
				writeError(c, err)
				return
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if len(bytes.TrimSpace(data)) > 0 {
				if err := dec.Decode(&body); err != nil {
					writeError(c, actionBodyError(err))
					return
				}
			}
		}
		t, err := s.svc.Work.Act(c.Request.Context(), principal(c), visibility(c), gridwarn.ActionRequest{
			TicketID: id, Action: string(a), IfMatch: version, Body: body})
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("ETag", etag(t.Version))
		c.JSON(http.StatusOK, t)
	}
}

// checkActionFields rejects any top-level field the action does not take.
func checkActionFields(data []byte, allowed []string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return bodyInvalid("malformed JSON: the body must be one JSON object")
	}
	var bad []gridwarn.FieldError
	for k := range fields {
		if !slices.Contains(allowed, k) {
			bad = append(bad, gridwarn.FieldError{Field: k, Rule: "unknown_field", Message: "is not a field of this action"})
		}
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b gridwarn.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return gridwarn.Invalid("invalid request body", bad...)
	}
	return nil
}

// actionBodyError names the field whose value does not fit the body, as
// decodeJSON does.
func actionBodyError(err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		return gridwarn.Invalid("invalid request body", gridwarn.FieldError{Field: typ.Field, Rule: "type", Message: "must be a JSON " + jsonType(typ.Type)})
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		name, _ := strconv.Unquote(m[1])
		return gridwarn.Invalid("invalid request body", gridwarn.FieldError{Field: name, Rule: "unknown_field", Message: "is not a field of this action"})
	}
	return bodyInvalid("the body does not fit this action: " + err.Error())
}

// GET /api/v1/queue — the caller's unit's actionable tickets, red first,
// then the nearest deadline.
func (s *server) queue(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "level", "category", "town", "state", "mine", "unclaimed", "limit", "cursor")
	f := gridwarn.QueueFilter{
		Level:    enumParam(q, "level", gridwarn.Levels),
		Category: enumParam(q, "category", gridwarn.Categories),
		TownCode: q.match("town", townCodeRE, "must be a 9-digit town code"),
		Status:   enumParam(q, "state", gridwarn.Statuses),
		Mine:     q.get("mine") == "true",
		Open:     q.get("unclaimed") == "true",
		After:    queueCursor(q),
		Limit:    q.limit(),
	}
	for _, b := range []string{"mine", "unclaimed"} {
		if v := q.get(b); v != "" && v != "true" && v != "false" {
			q.fail(b, "enum", "must be true or false")
		}
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	limit := f.Limit
	f.Limit++
	items, err := s.svc.Work.Queue(c.Request.Context(), principal(c), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	p := gridwarn.Page[gridwarn.QueueItem]{Items: nonNil(items)}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = items[limit-1].Key().Cursor()
	}
	writeTicketPage(c, p, queueItemOf)
}

// POST /api/v1/queue/claim — claim the first unclaimed ticket of the queue.
func (s *server) claimNext(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	t, err := s.svc.Work.ClaimNext(c.Request.Context(), principal(c), visibility(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("ETag", etag(t.Version))
	c.JSON(http.StatusOK, t)
}

// GET /api/v1/tickets/{id}/history — the append-only audit trail.
func (s *server) history(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	d, err := s.svc.Tickets.Ticket(c.Request.Context(), visibility(c), id)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.HistoryEntry]{Items: nonNil(d.History)})
}

// queueCursor reads "cursor" as a queue cursor.
func queueCursor(q *query) *gridwarn.QueueKey {
	s := q.get("cursor")
	if s == "" {
		return nil
	}
	k, ok := gridwarn.ParseQueueCursor(s)
	if !ok {
		q.fail("cursor", "cursor", "is not a cursor of this list")
		return nil
	}
	return &k
}
