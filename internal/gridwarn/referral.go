package gridwarn

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Referrals whose outcome comes back (issue 17 item 2; DOMAIN.md "Legal
// clocks" and "Outside bodies and the 12351 hotline"). A ticket referred
// by the refer action waits on the receiving body; the body — a partner,
// a machine account with a token scoped to the referrals sent to it —
// posts what became of it. A court may also commission the union to
// mediate (委托调解): an inbound referral that opens a county-tier ticket.

// RolePartner is the role of a receiving body's account (a partner).
const RolePartner Role = "partner"

// The kinds of receiving body (the refer action's body).
const (
	BodyArbitration     = "arbitration"      // 劳动人事争议仲裁委员会
	BodyCourt           = "court"            // 人民法院
	BodyLaborInspection = "labor_inspection" // 劳动保障监察
	BodyLegalAid        = "legal_aid"        // 法律援助中心
)

// The clocks of an outside body, beside the tiers' clocks.
const (
	// ClockBodyAccept: the body decides whether to take the case
	// (arbitration 5 days, art. 29; labour inspection 5 working days).
	ClockBodyAccept ClockKind = "body_accept"
	// ClockBodyDecide: the body's award or finding (arbitration 45 days
	// +15, art. 43; labour inspection 60 working days +30), from the
	// acceptance.
	ClockBodyDecide ClockKind = "body_decide"
)

// Outside reports whether k is an outside body's clock: its breach is
// recorded and announced, never escalates the ticket or makes it overdue.
func (k ClockKind) Outside() bool { return k == ClockBodyAccept || k == ClockBodyDecide }

// Kinds of a referral update.
const (
	UpdateAccepted          = "accepted"           // the body took the case (立案/受理)
	UpdateHearingScheduled  = "hearing_scheduled"  // 开庭/调查 set for hearing_at
	UpdateMediatedAgreement = "mediated_agreement" // settled by the body's mediation (调解书)
	UpdateAward             = "award"              // 仲裁裁决
	UpdateJudgement         = "judgement"          // 判决
	UpdateWithdrawn         = "withdrawn"          // 撤回/不予受理
	UpdateExtended          = "extended"           // the decision's time limit extended with approval
	// UpdateMediationResult is the union's result on a court's commission,
	// written by the reply action, which the court reads.
	UpdateMediationResult = "mediation_result"
)

// ReferralUpdateKinds are the updates a partner may post.
var ReferralUpdateKinds = []string{UpdateAccepted, UpdateHearingScheduled, UpdateMediatedAgreement, UpdateAward,
	UpdateJudgement, UpdateWithdrawn, UpdateExtended}

// Final reports whether an update of kind k ends the body's work: its
// clocks stop.
func FinalUpdate(k string) bool {
	return k == UpdateMediatedAgreement || k == UpdateAward || k == UpdateJudgement || k == UpdateWithdrawn
}

// Referral directions.
const (
	ReferralOut = "out" // the union referred the ticket
	ReferralIn  = "in"  // a court commissioned the union
)

// Partner is a receiving body of a county and its account.
type Partner struct {
	ID         int64     `json:"id"`
	CountyCode string    `json:"county_code"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Username   string    `json:"username"`
	CreatedAt  time.Time `json:"created_at"`
}

// NewPartner is an administrator's request for a partner and its token.
type NewPartner struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Username string `json:"username"`
	// TokenName names the token (default "partner").
	TokenName string `json:"token_name,omitempty"`
}

// Validate checks the request's fields.
func (p *NewPartner) Validate() error {
	var errs []FieldError
	p.Kind, p.Name, p.Username, p.TokenName = strings.TrimSpace(p.Kind), strings.TrimSpace(p.Name), strings.TrimSpace(p.Username), strings.TrimSpace(p.TokenName)
	if !slices.Contains(ReferralBodies, p.Kind) {
		errs = append(errs, FieldError{Field: "kind", Rule: "enum", Message: "must be one of: " + strings.Join(ReferralBodies, ", ")})
	}
	if p.Name == "" {
		errs = append(errs, FieldError{Field: "name", Rule: "required", Message: "is required"})
	} else if fe := CheckText("name", p.Name, MaxNameChars); fe != nil {
		errs = append(errs, *fe)
	}
	if p.Username == "" {
		errs = append(errs, FieldError{Field: "username", Rule: "required", Message: "is required"})
	}
	if p.TokenName == "" {
		p.TokenName = "partner"
	} else if fe := CheckText("token_name", p.TokenName, MaxNameChars); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return Invalid("invalid partner", errs...)
	}
	return nil
}

// ReferralRecord is one referral of a ticket with the updates on it.
type ReferralRecord struct {
	ID         int64            `json:"id"`
	TicketID   int64            `json:"ticket_id"`
	Direction  string           `json:"direction"` // out, in
	Kind       string           `json:"kind"`
	BodyName   string           `json:"body_name"`
	PartnerID  int64            `json:"partner_id,omitempty"`
	Reference  string           `json:"reference"`
	Collective bool             `json:"collective"`
	DueOn      string           `json:"due_on,omitempty"` // a commission's deadline, YYYY-MM-DD
	Summary    string           `json:"summary,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	Enterprise string           `json:"enterprise"`
	Status     Status           `json:"ticket_status"`
	Updates    []ReferralUpdate `json:"updates"`
	Clocks     []Clock          `json:"clocks"`
}

// ReferralUpdate is what a body (or the union, on a commission) reported.
type ReferralUpdate struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	OnDate    string     `json:"on_date"` // YYYY-MM-DD: when it happened
	HearingAt *time.Time `json:"hearing_at,omitempty"`
	// AmountCNY is the sum awarded or agreed; OwedCNY what the employer
	// still owes the workers under it, payable by PayBy: an award or a
	// judgement with money owed starts a payment follow-up on PayBy.
	AmountCNY *float64  `json:"amount_cny,omitempty"`
	OwedCNY   *float64  `json:"owed_cny,omitempty"`
	PayBy     string    `json:"pay_by,omitempty"`
	Note      string    `json:"note,omitempty"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// UpdateRequest is a partner's update on referral ReferralID.
type UpdateRequest struct {
	ReferralID int64      `json:"-"`
	Kind       string     `json:"kind"`
	OnDate     string     `json:"on_date"`
	HearingAt  *time.Time `json:"hearing_at,omitempty"`
	AmountCNY  *float64   `json:"amount_cny,omitempty"`
	OwedCNY    *float64   `json:"owed_cny,omitempty"`
	PayBy      string     `json:"pay_by,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// Validate normalises and checks an update: the kind is one of
// ReferralUpdateKinds, the date is YYYY-MM-DD, a hearing has its time,
// amounts are not negative, money owed needs the date it is payable by
// (and only an award, a judgement or a mediated agreement owes money).
func (u *UpdateRequest) Validate() error {
	if u.ReferralID < 1 {
		return Errorf(ENOTFOUND, "no such referral")
	}
	var v validator
	if u.Kind = strings.TrimSpace(u.Kind); u.Kind == "" {
		v.fail("kind", "required", "is required")
	} else {
		v.choice("kind", &u.Kind, ReferralUpdateKinds)
	}
	if u.OnDate = strings.TrimSpace(u.OnDate); u.OnDate == "" {
		v.fail("on_date", "required", "is required")
	} else {
		v.date("on_date", &u.OnDate)
	}
	v.date("pay_by", &u.PayBy)
	v.text("note", &u.Note, MaxTextChars)
	if u.Note != "" && LooksLikeFormula(u.Note) {
		v.fail("note", "formula", "must not start like a spreadsheet formula")
	}
	if u.Kind == UpdateHearingScheduled && u.HearingAt == nil {
		v.fail("hearing_at", "required", "a scheduled hearing needs its time")
	}
	for _, a := range []struct {
		field string
		v     *float64
	}{{"amount_cny", u.AmountCNY}, {"owed_cny", u.OwedCNY}} {
		if a.v != nil && (math.IsNaN(*a.v) || *a.v < 0 || *a.v > MaxAmountCNY) {
			v.fail(a.field, "number", fmt.Sprintf("must be a number from 0 to %.0f", float64(MaxAmountCNY)))
		}
	}
	if u.OwedCNY != nil && *u.OwedCNY > 0 {
		switch {
		case u.Kind != UpdateAward && u.Kind != UpdateJudgement && u.Kind != UpdateMediatedAgreement:
			v.fail("owed_cny", "kind", "only an award, a judgement or a mediated agreement owes money")
		case u.PayBy == "":
			v.fail("pay_by", "required", "money owed needs the date it is payable by")
		}
	}
	if len(v.errs) > 0 {
		return Invalid("invalid referral update", v.errs...)
	}
	return nil
}

// Owes reports whether the update starts a payment follow-up.
func (u UpdateRequest) Owes() bool {
	return u.OwedCNY != nil && *u.OwedCNY > 0 && u.PayBy != ""
}

// Commission is a court's request that the union mediate a case
// (委托调解): it opens one county-tier ticket per court reference.
type Commission struct {
	Reference  string   `json:"reference"`  // the court's case number
	Enterprise string   `json:"enterprise"` // the employer's credit code (registered)
	Category   Category `json:"category,omitempty"`
	Workers    int      `json:"workers_involved,omitempty"`
	AmountCNY  float64  `json:"amount_owed_cny,omitempty"`
	DueOn      string   `json:"due_on"` // the court's deadline, YYYY-MM-DD
	Summary    string   `json:"summary,omitempty"`
}

// Validate normalises and checks a commission.
func (c *Commission) Validate() error {
	var v validator
	c.Reference, c.Enterprise = strings.TrimSpace(c.Reference), strings.ToUpper(strings.TrimSpace(c.Enterprise))
	if c.Reference == "" {
		v.fail("reference", "required", "is required")
	} else if fe := CheckText("reference", c.Reference, MaxNameChars); fe != nil {
		v.fail(fe.Field, fe.Rule, fe.Message)
	}
	if c.Enterprise == "" {
		v.fail("enterprise", "required", "is required")
	}
	if c.Category == "" {
		c.Category = CategoryOther
	} else if !c.Category.Valid() {
		v.fail("category", "enum", "is not a known category")
	}
	if c.Workers < 0 || c.Workers > MaxWorkers {
		v.fail("workers_involved", "number", fmt.Sprintf("must be a whole number from 0 to %d", MaxWorkers))
	}
	if math.IsNaN(c.AmountCNY) || c.AmountCNY < 0 || c.AmountCNY > MaxAmountCNY {
		v.fail("amount_owed_cny", "number", fmt.Sprintf("must be a number from 0 to %.0f", float64(MaxAmountCNY)))
	}
	if c.DueOn = strings.TrimSpace(c.DueOn); c.DueOn == "" {
		v.fail("due_on", "required", "is required")
	} else {
		v.date("due_on", &c.DueOn)
	}
	v.text("summary", &c.Summary, MaxTextChars)
	if c.Summary != "" && LooksLikeFormula(c.Summary) {
		v.fail("summary", "formula", "must not start like a spreadsheet formula")
	}
	if len(v.errs) > 0 {
		return Invalid("invalid commission", v.errs...)
	}
	return nil
}

// BodyClockPlanner gives an outside body's clocks (rules: outside_bodies).
// A ClockPlanner may also be one; without it, referrals get no clocks.
type BodyClockPlanner interface {
	// BodyClock is when clock kind of a body of the given kind, started
	// at start, reminds and is due; ok is false when the body has no such
	// clock. extended adds the approved extension (decide only).
	BodyClock(body string, kind ClockKind, start time.Time, extended bool) (plan ClockPlan, ok bool)
}

// ReferralService is the partner's side of referrals and the
// administrator's partners. Every method on a referral is limited to the
// partner p's own referrals: another body's referral is ENOTFOUND.
type ReferralService interface {
	CreatePartner(ctx context.Context, v Visibility, req NewPartner) (*Partner, *Token, string, error)
	Partners(ctx context.Context, v Visibility) ([]Partner, error)
	Referrals(ctx context.Context, p *Principal) ([]ReferralRecord, error)
	Referral(ctx context.Context, p *Principal, id int64) (*ReferralRecord, error)
	PostUpdate(ctx context.Context, p *Principal, req UpdateRequest) (*ReferralRecord, error)
	// Commission opens the ticket of a court's commission, once per
	// reference; created is false when it existed already.
	Commission(ctx context.Context, p *Principal, c Commission) (rec *ReferralRecord, created bool, err error)
}
