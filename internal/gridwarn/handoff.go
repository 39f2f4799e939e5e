package gridwarn

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Hand-offs between counties (issue 17 item 3; seed 000, 异地双向维权):
// migrant workers' disputes are handled jointly by the county they come
// from and the county where they work. A mediator hands a ticket over to
// another county's union (mode hand: the other county takes the case
// over) or shares it (mode share: both work it). The receiving county gets
// a linked case — a county-tier ticket in its own queue — which it
// accepts or declines with a reason; the sending ticket learns the answer
// and, when the linked case closes, its outcome. Whether the sending
// county's clocks pause while the other county works depends on the
// reason: HandoffReasons says which, once, for every port.

// Hand-off modes.
const (
	HandoffHand  = "hand"  // 移交: the other county takes the case over
	HandoffShare = "share" // 协同: both counties work it; the other informs or helps
)

// HandoffModes are the modes in the order the console offers them.
var HandoffModes = []string{HandoffHand, HandoffShare}

// Hand-off reasons.
const (
	// The workers went home: the county they come from (劳务输出地)
	// takes over, near the workers.
	HandoffWorkersHome = "workers_home"
	// The employer or its assets are in the other county: that county's
	// union reaches them (and the court that can seize the assets).
	HandoffEmployerElsewhere = "employer_elsewhere"
	// Joint handling: the other county's union works the case with us
	// (contacts the workers at home, attends the mediation).
	HandoffJoint = "joint_handling"
	// For information: the other county should know (its workers are
	// involved); it reads and may note, the case stays ours.
	HandoffInformation = "for_information"
)

// HandoffReason is one row of the hand-off table.
type HandoffReason struct {
	Code    string
	LabelZH string
	LabelEN string
	// Modes are the modes the reason admits.
	Modes []string
	// PauseClocks: the sending county's running clocks pause from the
	// hand-off until the other county declines or closes its case (then
	// they resume with the time they had left); false: they keep running.
	PauseClocks bool
}

// HandoffReasons is the hand-off table: for each reason, the modes it
// admits and whether the sender's clocks pause. A case the other county
// takes over pauses the sender's clocks (its time limits are not the
// sender's to keep while the other works); a case shared for joint
// handling or for information stays the sender's, and so do its clocks.
var HandoffReasons = []HandoffReason{
	{Code: HandoffWorkersHome, LabelZH: "劳动者返乡，由输出地接手", LabelEN: "the workers went home; their county takes over",
		Modes: []string{HandoffHand, HandoffShare}, PauseClocks: true},
	{Code: HandoffEmployerElsewhere, LabelZH: "用人单位或财产在对方县", LabelEN: "the employer or its assets are in the other county",
		Modes: []string{HandoffHand, HandoffShare}, PauseClocks: true},
	{Code: HandoffJoint, LabelZH: "两地协同处置", LabelEN: "joint handling by both counties",
		Modes: []string{HandoffShare}, PauseClocks: false},
	{Code: HandoffInformation, LabelZH: "情况通报", LabelEN: "for the other county's information",
		Modes: []string{HandoffShare}, PauseClocks: false},
}

// HandoffReasonOf returns the row of code.
func HandoffReasonOf(code string) (HandoffReason, bool) {
	i := slices.IndexFunc(HandoffReasons, func(r HandoffReason) bool { return r.Code == code })
	if i < 0 {
		return HandoffReason{}, false
	}
	return HandoffReasons[i], true
}

// PausesClocks says whether a hand-off with this reason and mode pauses
// the sender's clocks: the reason's row decides, for a mode it admits; a
// mode the reason does not admit pauses nothing (Validate refuses it).
func PausesClocks(reason, mode string) bool {
	r, ok := HandoffReasonOf(reason)
	return ok && slices.Contains(r.Modes, mode) && r.PauseClocks
}

// Hand-off states.
const (
	HandoffSent     = "sent"     // waiting for the other county's answer
	HandoffAccepted = "accepted" // the other county took it; its case is open
	HandoffDeclined = "declined" // the other county refused, with a reason
	HandoffClosed   = "closed"   // the other county closed its case: the outcome is back
)

// HandoffStates in the order of a hand-off's life.
var HandoffStates = []string{HandoffSent, HandoffAccepted, HandoffDeclined, HandoffClosed}

// HandoffNext reports whether a hand-off in state from may move to to:
// sent → accepted or declined, accepted → closed. A reply that arrives
// twice (the bus and HTTPS both redeliver) finds the state already there
// and changes nothing.
func HandoffNext(from, to string) bool {
	switch from {
	case HandoffSent:
		return to == HandoffAccepted || to == HandoffDeclined
	case HandoffAccepted:
		return to == HandoffClosed
	}
	return false
}

// MaxHandoffNote bounds the note and the decline's reason.
const MaxHandoffNote = 2000

// HandoffRequest is a mediator's hand-off of a ticket.
type HandoffRequest struct {
	TicketID int64 `json:"-"`
	// IfMatch is the ticket version the caller saw.
	IfMatch           int    `json:"-"`
	ToCounty          string `json:"to_county"`
	Mode              string `json:"mode"`
	Reason            string `json:"reason"`
	WorkersHomeCounty string `json:"workers_home_county"`
	Note              string `json:"note,omitempty"`
}

// IsCountyCode reports whether s is a six-digit county code.
func IsCountyCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Validate checks the request's fields; from is the sending county.
func (r *HandoffRequest) Validate(from string) error {
	r.ToCounty, r.Mode, r.Reason = strings.TrimSpace(r.ToCounty), strings.TrimSpace(r.Mode), strings.TrimSpace(r.Reason)
	r.WorkersHomeCounty, r.Note = strings.TrimSpace(r.WorkersHomeCounty), strings.TrimSpace(r.Note)
	var errs []FieldError
	switch {
	case !IsCountyCode(r.ToCounty):
		errs = append(errs, FieldError{Field: "to_county", Rule: "county_code", Message: "must be a six-digit county code"})
	case r.ToCounty == from:
		errs = append(errs, FieldError{Field: "to_county", Rule: "other_county", Message: "must be another county than the ticket's"})
	}
	if !IsCountyCode(r.WorkersHomeCounty) {
		errs = append(errs, FieldError{Field: "workers_home_county", Rule: "county_code", Message: "must be a six-digit county code"})
	}
	reason, ok := HandoffReasonOf(r.Reason)
	var codes []string
	for _, x := range HandoffReasons {
		codes = append(codes, x.Code)
	}
	switch {
	case !ok:
		errs = append(errs, FieldError{Field: "reason", Rule: "enum", Message: "must be one of: " + strings.Join(codes, ", ")})
	case !slices.Contains(HandoffModes, r.Mode):
		errs = append(errs, FieldError{Field: "mode", Rule: "enum", Message: "must be one of: " + strings.Join(HandoffModes, ", ")})
	case !slices.Contains(reason.Modes, r.Mode):
		errs = append(errs, FieldError{Field: "mode", Rule: "reason", Message: "the reason " + r.Reason + " admits only: " + strings.Join(reason.Modes, ", ")})
	}
	if fe := CheckText("note", r.Note, MaxHandoffNote); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return Invalid("invalid hand-off", errs...)
	}
	return nil
}

// HandoffAnswer is the receiving county's answer: accept, or decline with
// a reason.
type HandoffAnswer struct {
	HandoffID string `json:"-"`
	Accept    bool   `json:"-"`
	Reason    string `json:"reason,omitempty"`
}

// Validate checks the answer: a decline needs its reason.
func (a *HandoffAnswer) Validate() error {
	a.Reason = strings.TrimSpace(a.Reason)
	if !a.Accept && a.Reason == "" {
		return Invalid("invalid answer", FieldError{Field: "reason", Rule: "required", Message: "a decline says why"})
	}
	if fe := CheckText("reason", a.Reason, MaxHandoffNote); fe != nil {
		return Invalid("invalid answer", *fe)
	}
	return nil
}

// Handoff is one hand-off as either county sees it.
type Handoff struct {
	ID string `json:"id"`
	// TicketID is the sending county's ticket, LinkedTicketID the
	// receiving county's case; each is 0 where that county runs on
	// another deployment.
	TicketID          int64  `json:"ticket_id,omitempty"`
	LinkedTicketID    int64  `json:"linked_ticket_id,omitempty"`
	FromCounty        string `json:"from_county"`
	ToCounty          string `json:"to_county"`
	Mode              string `json:"mode"`
	Reason            string `json:"reason"`
	WorkersHomeCounty string `json:"workers_home_county"`
	Note              string `json:"note,omitempty"`
	// PauseClocks: the sender's clocks pause (HandoffReasons).
	PauseClocks bool `json:"pause_clocks"`
	// The case, as the sender described it.
	Enterprise     string   `json:"enterprise"`
	EnterpriseName string   `json:"enterprise_name,omitempty"`
	Category       Category `json:"category"`
	Level          Level    `json:"level"`
	Summary        string   `json:"summary,omitempty"`
	SentBy         string   `json:"sent_by"`
	State          string   `json:"state"`
	// DeclineReason is the receiving county's reason for a decline.
	DeclineReason string     `json:"decline_reason,omitempty"`
	AnsweredBy    string     `json:"answered_by,omitempty"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
	// Outcome is the receiving county's reply on its case, once closed.
	Outcome   *Outcome   `json:"outcome,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	// Direction is the reader's side: out (their county sent it), in
	// (their county received it).
	Direction string `json:"direction"`
}

// HandoffService is the hand-off store every port uses.
type HandoffService interface {
	// HandOff records p's hand-off of a ticket v sees, through the
	// workflow (action hand_off).
	HandOff(ctx context.Context, p *Principal, v Visibility, req HandoffRequest) (*Handoff, error)
	// Handoffs lists the hand-offs sent or received by p's county.
	// ticketID > 0 keeps those of one ticket (sent or linked).
	Handoffs(ctx context.Context, p *Principal, v Visibility, ticketID int64) ([]Handoff, error)
	// Handoff is one of them; another county's is ENOTFOUND.
	Handoff(ctx context.Context, p *Principal, v Visibility, id string) (*Handoff, error)
	// AnswerHandoff accepts or declines a hand-off received by p's county.
	AnswerHandoff(ctx context.Context, p *Principal, v Visibility, a HandoffAnswer) (*Handoff, error)
}

// Between deployments (DECISIONS D11) a hand-off travels as a
// HandoffMessage and comes back as HandoffReply lines, over NATS (core
// request–reply on HandoffSubject and HandoffReplySubject, for
// deployments that share a cluster or leaf nodes) or HTTPS (POST to the
// peer's /api/v1/handoffs/inbound, signed with the peer's key). The
// sender's outbox keeps each message until the peer acknowledges it, so a
// message may arrive more than once: the receiver stores it once by id
// and acknowledges a repeat the same way.

// The outbox topics of the hand-off messages (not notifications: the
// relay delivers them to the peer, never to webhooks).
const (
	TopicHandoffSend  = "handoff.send"
	TopicHandoffReply = "handoff.reply"
)

// HandoffSubjectPrefix starts the hand-off subjects.
const HandoffSubjectPrefix = "gridwarn.handoff."

// HandoffSubject is where hand-offs to a county travel.
func HandoffSubject(toCounty string) string { return HandoffSubjectPrefix + toCounty }

// HandoffReplySubject is where the answers to a county's hand-offs travel.
func HandoffReplySubject(fromCounty string) string {
	return HandoffSubjectPrefix + fromCounty + ".replies"
}

// HandoffMessage is a hand-off on the wire: the record as the sender
// wrote it.
type HandoffMessage struct {
	ID                string    `json:"id"`
	FromCounty        string    `json:"from_county"`
	ToCounty          string    `json:"to_county"`
	Mode              string    `json:"mode"`
	Reason            string    `json:"reason"`
	WorkersHomeCounty string    `json:"workers_home_county"`
	Note              string    `json:"note,omitempty"`
	PauseClocks       bool      `json:"pause_clocks"`
	Enterprise        string    `json:"enterprise"`
	EnterpriseName    string    `json:"enterprise_name,omitempty"`
	Category          Category  `json:"category"`
	Level             Level     `json:"level"`
	Summary           string    `json:"summary,omitempty"`
	SentBy            string    `json:"sent_by"`
	CreatedAt         time.Time `json:"created_at"`
}

// Validate checks a message from another deployment before it is stored.
func (m *HandoffMessage) Validate() error {
	var errs []FieldError
	if !isUUID(m.ID) {
		errs = append(errs, FieldError{Field: "id", Rule: "uuid", Message: "must be a UUID"})
	}
	r := HandoffRequest{ToCounty: m.ToCounty, Mode: m.Mode, Reason: m.Reason, WorkersHomeCounty: m.WorkersHomeCounty, Note: m.Note}
	if !IsCountyCode(m.FromCounty) {
		errs = append(errs, FieldError{Field: "from_county", Rule: "county_code", Message: "must be a six-digit county code"})
	} else if err := r.Validate(m.FromCounty); err != nil {
		errs = append(errs, err.(*Error).Fields...)
	}
	m.PauseClocks = PausesClocks(m.Reason, m.Mode)
	if !Category(m.Category).Valid() {
		errs = append(errs, FieldError{Field: "category", Rule: "enum", Message: "is not a category"})
	}
	if !m.Level.Valid() {
		errs = append(errs, FieldError{Field: "level", Rule: "enum", Message: "is not a level"})
	}
	for _, f := range []struct{ name, v string }{{"enterprise", m.Enterprise}, {"enterprise_name", m.EnterpriseName},
		{"summary", m.Summary}, {"sent_by", m.SentBy}} {
		if fe := CheckText(f.name, f.v, MaxHandoffNote); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if m.Enterprise == "" {
		errs = append(errs, FieldError{Field: "enterprise", Rule: "required", Message: "is required"})
	}
	if len(errs) > 0 {
		return Invalid("invalid hand-off message", errs...)
	}
	return nil
}

// HandoffReply is the receiving county's answer or outcome on the wire.
type HandoffReply struct {
	ID            string     `json:"id"` // the hand-off's id
	FromCounty    string     `json:"from_county"`
	ToCounty      string     `json:"to_county"`
	State         string     `json:"state"` // accepted, declined, closed
	DeclineReason string     `json:"decline_reason,omitempty"`
	AnsweredBy    string     `json:"answered_by,omitempty"`
	Outcome       *Outcome   `json:"outcome,omitempty"`
	At            time.Time  `json:"at"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
}

// Validate checks a reply from another deployment.
func (r *HandoffReply) Validate() error {
	var errs []FieldError
	if !isUUID(r.ID) {
		errs = append(errs, FieldError{Field: "id", Rule: "uuid", Message: "must be a UUID"})
	}
	if !slices.Contains([]string{HandoffAccepted, HandoffDeclined, HandoffClosed}, r.State) {
		errs = append(errs, FieldError{Field: "state", Rule: "enum", Message: "must be accepted, declined or closed"})
	}
	if r.State == HandoffDeclined && strings.TrimSpace(r.DeclineReason) == "" {
		errs = append(errs, FieldError{Field: "decline_reason", Rule: "required", Message: "a decline says why"})
	}
	for _, f := range []struct{ name, v string }{{"decline_reason", r.DeclineReason}, {"answered_by", r.AnsweredBy}} {
		if fe := CheckText(f.name, f.v, MaxHandoffNote); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if len(errs) > 0 {
		return Invalid("invalid hand-off reply", errs...)
	}
	return nil
}

// HandoffAck is what the receiving side answers once it has stored a
// message (a repeat gets the same answer).
type HandoffAck struct {
	ID     string `json:"id"`
	Stored bool   `json:"stored"`
	// Duplicate: the message had been stored before.
	Duplicate bool `json:"duplicate,omitempty"`
}

// HandoffInbox stores what other deployments send.
type HandoffInbox interface {
	ReceiveHandoff(ctx context.Context, m HandoffMessage) (HandoffAck, error)
	ReceiveHandoffReply(ctx context.Context, r HandoffReply) (HandoffAck, error)
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f'):
			return false
		}
	}
	return true
}
