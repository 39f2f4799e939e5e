package gridwarn

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The 12351 hotline (DOMAIN.md "Outside bodies and the 12351 hotline").
// A hotline operator files a case on a caller's behalf. The caller's name
// and phone number are a reporter's identity: they are kept by the reporter
// protection of privacy.go — masked wherever a case is shown, read in full
// only through the audited identity read of the ticket the case fed
// (POST /api/v1/tickets/{id}/reporters), erased after the retention period.
//
// A case about an enterprise of the registry becomes an event, published on
// the event stream like any report (reporter kind "hotline"), so the engine
// and the rules decide its level and tier like any other signal — a red
// finding is red at once. A case whose enterprise is not in the registry is
// held at the county as "enterprise to be identified" until a county
// administrator links it to a registry entry; its event is then published,
// exactly once: the event id is derived from the case id. Consultations
// answered on the call and suggestions close at once without a ticket.

// RoleHotlineOperator files 12351 cases; county scope only.
const RoleHotlineOperator Role = "hotline_operator"

// IntakeType is what the caller wants.
type IntakeType string

const (
	IntakeConsultation IntakeType = "consultation" // 咨询
	IntakeHelp         IntakeType = "help"         // 求助
	IntakeComplaint    IntakeType = "complaint"    // 投诉
	IntakeLegalAid     IntakeType = "legal_aid"    // 法律援助
	IntakeSuggestion   IntakeType = "suggestion"   // 建议
)

// IntakeTypes lists every intake type.
var IntakeTypes = []IntakeType{IntakeConsultation, IntakeHelp, IntakeComplaint, IntakeLegalAid, IntakeSuggestion}

// CaseClass sorts a case by difficulty; each class has its own time limit
// (rules.yaml hotline.time_limits).
type CaseClass string

const (
	ClassOrdinary  CaseClass = "ordinary"  // 一般
	ClassDifficult CaseClass = "difficult" // 难点
	ClassComplex   CaseClass = "complex"   // 特别复杂
)

// CaseClasses lists every class, from the simplest.
var CaseClasses = []CaseClass{ClassOrdinary, ClassDifficult, ClassComplex}

// HotlineStatus is where a case stands.
type HotlineStatus string

const (
	// HotlineToIdentify: the enterprise is not in the registry; a county
	// administrator links the case to an entry.
	HotlineToIdentify HotlineStatus = "to_identify"
	// HotlineForwarded: the case is an event on the stream (PublishedAt)
	// or about to be one (a failed publish is retried by linking again).
	HotlineForwarded HotlineStatus = "forwarded"
	// HotlineClosed: answered on the call (a consultation) or a suggestion
	// taken down; no ticket.
	HotlineClosed HotlineStatus = "closed"
)

// Longest texts of a case, in characters.
const (
	MaxCallerName     = 50
	MaxCallerPhone    = 20
	MaxHotlineSummary = 2000
	MaxPlatformOrder  = 64
)

var (
	callerPhoneRE   = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,18}[0-9]$`)
	platformOrderRE = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,64}$`)
	workOrderRE     = regexp.MustCompile(`^12351-[0-9]{8}-[0-9]{4,}$`)
)

// HotlineFiling is what the operator enters during the call.
type HotlineFiling struct {
	CallerName  string     `json:"caller_name"`
	CallerPhone string     `json:"caller_phone"`
	IntakeType  IntakeType `json:"intake_type"`
	Class       CaseClass  `json:"class"`
	// AnsweredOnCall: a consultation answered during the call closes at
	// once.
	AnsweredOnCall bool `json:"answered_on_call,omitempty"`
	// PlatformOrder: the order number of the city or province hotline
	// platform the case came down from, kept beside the county's own.
	PlatformOrder string `json:"platform_order,omitempty"`
	// Enterprise is the credit code when the operator found the enterprise
	// in the registry; otherwise EnterpriseName (and EnterpriseAddress)
	// say what the caller said, for the administrator who identifies it.
	Enterprise        string `json:"enterprise,omitempty"`
	EnterpriseName    string `json:"enterprise_name,omitempty"`
	EnterpriseAddress string `json:"enterprise_address,omitempty"`
	// The event's facts (the event contract's fields).
	Category        Category   `json:"category,omitempty"`
	OccurredAt      *time.Time `json:"occurred_at,omitempty"`
	WorkersInvolved *int       `json:"workers_involved,omitempty"`
	AmountOwedCNY   *float64   `json:"amount_owed_cny,omitempty"`
	Collective      bool       `json:"collective,omitempty"`
	Summary         string     `json:"summary,omitempty"`
}

// ClosesAtOnce reports whether the case closes when it is filed: a
// consultation answered on the call, or a suggestion.
func (f HotlineFiling) ClosesAtOnce() bool {
	return f.IntakeType == IntakeSuggestion || f.IntakeType == IntakeConsultation && f.AnsweredOnCall
}

// Normalize trims the operator's texts.
func (f *HotlineFiling) Normalize() {
	for _, s := range []*string{&f.CallerName, &f.CallerPhone, &f.PlatformOrder, &f.Enterprise, &f.EnterpriseName,
		&f.EnterpriseAddress, &f.Summary} {
		*s = strings.TrimSpace(*s)
	}
}

// Validate checks a filing for every port (API, console).
func (f HotlineFiling) Validate() error {
	var fs []FieldError
	refuse := func(field, rule, msg string) { fs = append(fs, FieldError{Field: field, Rule: rule, Message: msg}) }
	text := func(field, s string, max int, required bool) {
		if s == "" {
			if required {
				refuse(field, "required", "is required")
			}
			return
		}
		if e := CheckText(field, s, max); e != nil {
			fs = append(fs, *e)
		}
	}
	text("caller_name", f.CallerName, MaxCallerName, true)
	if f.CallerPhone == "" {
		refuse("caller_phone", "required", "is required (the call-back needs it)")
	} else if !callerPhoneRE.MatchString(f.CallerPhone) {
		refuse("caller_phone", "pattern", "must be a telephone number: 6–20 digits, spaces or '-', an optional leading '+'")
	}
	if !slices.Contains(IntakeTypes, f.IntakeType) {
		refuse("intake_type", "enum", "must be consultation, help, complaint, legal_aid or suggestion")
	}
	if !slices.Contains(CaseClasses, f.Class) {
		refuse("class", "enum", "must be ordinary (一般), difficult (难点) or complex (特别复杂)")
	}
	if f.AnsweredOnCall && f.IntakeType != IntakeConsultation {
		refuse("answered_on_call", "consultation_only", "only a consultation is answered on the call")
	}
	if f.PlatformOrder != "" && !platformOrderRE.MatchString(f.PlatformOrder) {
		refuse("platform_order", "pattern", "must be 1–64 characters of A-Z a-z 0-9 . _ : / -")
	}
	if f.Enterprise != "" {
		if err := ValidateCreditCode(f.Enterprise); err != nil {
			refuse("enterprise", RuleCreditCode, err.Error())
		}
	}
	text("enterprise_name", f.EnterpriseName, MaxEnterpriseName, false)
	text("enterprise_address", f.EnterpriseAddress, MaxEnterpriseName, false)
	// The summary is what the caller said, lines and all (a textarea): the
	// event contract's rule — no NUL — plus the formula check.
	switch {
	case utf8.RuneCountInString(f.Summary) > MaxHotlineSummary:
		refuse("summary", "max_length", fmt.Sprintf("has more than %d characters", MaxHotlineSummary))
	case !utf8.ValidString(f.Summary) || strings.ContainsRune(f.Summary, 0):
		refuse("summary", "text", "must be plain text without NUL characters")
	case LooksLikeFormula(f.Summary):
		refuse("summary", "formula", "must not start with = + - @ (a spreadsheet would run it as a formula)")
	}
	if !f.ClosesAtOnce() {
		if f.Enterprise == "" && f.EnterpriseName == "" {
			refuse("enterprise", "required", "name the enterprise: its credit code from the registry, or enterprise_name as the caller said it")
		}
		if !f.Category.Valid() {
			refuse("category", "enum", "is required: one of the event categories")
		}
	} else if f.Category != "" && !f.Category.Valid() {
		refuse("category", "enum", "must be one of the event categories")
	}
	if f.WorkersInvolved != nil && (*f.WorkersInvolved < 0 || *f.WorkersInvolved > 1_000_000) {
		refuse("workers_involved", "range", "must be 0–1000000")
	}
	if f.AmountOwedCNY != nil && (*f.AmountOwedCNY < 0 || *f.AmountOwedCNY > 1e12) {
		refuse("amount_owed_cny", "range", "must be 0–1000000000000")
	}
	if len(fs) > 0 {
		return Invalid("invalid hotline case", fs...)
	}
	return nil
}

// HotlineCase is a filed case as shown: the caller's name and phone number
// masked.
type HotlineCase struct {
	ID int64 `json:"id"`
	// WorkOrder is the county's number the operator reads out to the
	// caller: 12351-YYYYMMDD-NNNN, unique per county and day.
	WorkOrder     string        `json:"work_order"`
	PlatformOrder string        `json:"platform_order,omitempty"`
	CountyCode    string        `json:"county_code"`
	Status        HotlineStatus `json:"status"`
	IntakeType    IntakeType    `json:"intake_type"`
	Class         CaseClass     `json:"class"`
	// CallerName and CallerPhone are masked ("张*", "138****5678"); ""
	// once erased after the retention period.
	CallerName        string     `json:"caller_name"`
	CallerPhone       string     `json:"caller_phone"`
	Enterprise        string     `json:"enterprise,omitempty"`
	EnterpriseName    string     `json:"enterprise_name,omitempty"`
	EnterpriseAddress string     `json:"enterprise_address,omitempty"`
	Category          Category   `json:"category,omitempty"`
	OccurredAt        *time.Time `json:"occurred_at,omitempty"`
	WorkersInvolved   *int       `json:"workers_involved,omitempty"`
	AmountOwedCNY     *float64   `json:"amount_owed_cny,omitempty"`
	Collective        bool       `json:"collective"`
	Summary           string     `json:"summary,omitempty"`
	FiledBy           string     `json:"filed_by"`
	FiledAt           time.Time  `json:"filed_at"`
	// DueAt is when the class's time limit runs out (working days of the
	// rules' calendar from FiledAt).
	DueAt    time.Time  `json:"due_at"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
	LinkedBy string     `json:"linked_by,omitempty"`
	LinkedAt *time.Time `json:"linked_at,omitempty"`
	// EventID is the case's event (derived from the case id) once the case
	// is forwarded; PublishedAt when the stream took it; TicketID once the
	// engine grouped it into a ticket.
	EventID     string     `json:"event_id,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	TicketID    *int64     `json:"ticket_id,omitempty"`
}

// HotlineEventID is the id of the event a case becomes: the same for every
// attempt, so a retried publish or a second link is one event.
func HotlineEventID(county string, caseID int64) string {
	return "hotline-" + county + "-" + strconv.FormatInt(caseID, 10)
}

// HotlineReporterID is the reporter id of a case's event; the identity read
// of the ticket resolves it to the caller.
func HotlineReporterID(caseID int64) string { return "hotline:" + strconv.FormatInt(caseID, 10) }

// HotlineCaseOfReporter is the case id in a hotline reporter id (0 if none).
func HotlineCaseOfReporter(id string) int64 {
	s, ok := strings.CutPrefix(id, "hotline:")
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// WorkOrderNumber formats the county's number of the n-th case of day.
func WorkOrderNumber(day time.Time, n int) string {
	return fmt.Sprintf("12351-%s-%04d", day.Format("20060102"), n)
}

// ValidWorkOrder reports whether s looks like a county work-order number.
func ValidWorkOrder(s string) bool { return workOrderRE.MatchString(s) }

// MaskName keeps a name's first character: "张三丰" → "张**".
func MaskName(s string) string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s)
	if n == 1 {
		return "*"
	}
	return string(r) + strings.Repeat("*", n-1)
}

// MaskPhone keeps the first three and last four digits of a number of 11
// or more ("138****5678"), the last two of a shorter one.
func MaskPhone(s string) string {
	d := make([]rune, 0, len(s))
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d = append(d, r)
		}
	}
	switch n := len(d); {
	case n == 0:
		return ""
	case n >= 11:
		return string(d[:3]) + strings.Repeat("*", n-7) + string(d[n-4:])
	case n > 2:
		return strings.Repeat("*", n-2) + string(d[n-2:])
	default:
		return strings.Repeat("*", n)
	}
}

// HotlineFilter selects cases.
type HotlineFilter struct {
	Status HotlineStatus
	// AfterID pages backwards: cases with a smaller id (newest first).
	AfterID int64
	Limit   int
}

// HotlineService files and reads 12351 cases. Cases are the county's: a
// county-wide person sees every case of the county, a town's person the
// cases about enterprises of the town; a case outside v is not found.
type HotlineService interface {
	// FileCase records a case with its work-order number and, when its
	// enterprise is known, publishes its event. EINVALID on a bad filing,
	// EUNPROCESSABLE for a credit code outside p's scope.
	FileCase(ctx context.Context, p *Principal, f HotlineFiling) (HotlineCase, error)
	HotlineCases(ctx context.Context, p *Principal, v Visibility, f HotlineFilter) ([]HotlineCase, error)
	HotlineCase(ctx context.Context, p *Principal, v Visibility, id int64) (HotlineCase, error)
	// LinkCase sets a held case's enterprise (a registry entry) and
	// publishes its event; linking again to the same enterprise publishes
	// the same event again (one event, one ticket); another enterprise
	// after the event was published is a conflict.
	LinkCase(ctx context.Context, p *Principal, v Visibility, id int64, enterprise string) (HotlineCase, error)
	// HotlineCounts counts the cases v sees filed in a period of the
	// county's calendar — consultations answered on the call included.
	HotlineCounts(ctx context.Context, p *Principal, v Visibility, period Period) (HotlineCounts, error)
}

// HotlineCounts are a period's 12351 cases, counted.
type HotlineCounts struct {
	Period Period `json:"period"`
	HotlineFigures
}

// HotlineFigures are 12351 cases filed in a span, counted: the hotline's
// rows of the weekly, monthly and quarterly reports and of
// GET /api/v1/hotline/counts.
type HotlineFigures struct {
	Total int `json:"total"`
	// ByIntakeType, ByClass and ByStatus count every case once each; a
	// key with no case is 0.
	ByIntakeType map[IntakeType]int    `json:"by_intake_type"`
	ByClass      map[CaseClass]int     `json:"by_class"`
	ByStatus     map[HotlineStatus]int `json:"by_status"`
	// AnsweredOnCall: consultations closed during the call.
	AnsweredOnCall int `json:"answered_on_call"`
	// Collective: cases of 10 or more workers with a common demand.
	Collective int `json:"collective"`
	// PlatformOrders: cases that came down from a city or province
	// platform.
	PlatformOrders int `json:"platform_orders"`
}

// NewHotlineCounts returns counts with every key at 0.
func NewHotlineCounts(p Period) HotlineCounts {
	return HotlineCounts{Period: p, HotlineFigures: NewHotlineFigures()}
}

// HotlineStatuses lists every status of a case.
var HotlineStatuses = []HotlineStatus{HotlineToIdentify, HotlineForwarded, HotlineClosed}

// NewHotlineFigures returns figures with every key at 0.
func NewHotlineFigures() HotlineFigures {
	c := HotlineFigures{ByIntakeType: map[IntakeType]int{}, ByClass: map[CaseClass]int{}, ByStatus: map[HotlineStatus]int{}}
	for _, t := range IntakeTypes {
		c.ByIntakeType[t] = 0
	}
	for _, k := range CaseClasses {
		c.ByClass[k] = 0
	}
	for _, s := range HotlineStatuses {
		c.ByStatus[s] = 0
	}
	return c
}

// HotlineClock says when a case's class time limit runs out.
type HotlineClock interface {
	HotlineDue(c CaseClass, filed time.Time) time.Time
}
