package web

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The grid worker's pages: find an enterprise of their grids, report what
// they saw (a phone form that works without JavaScript and, with it,
// survives a poor connection: static/report.js keeps each report in the
// browser until the server confirms it), and follow what became of their
// reports.

func (s *server) reportRoutes(g *gin.RouterGroup) {
	g.GET("/report", s.allow(authz.CreateReports), s.reportPage)
	g.POST("/report", s.allow(authz.CreateReports), s.report)
	g.GET("/my-reports", s.allow(authz.ReadTickets), s.myReportsPage)
}

const (
	// searchLimit is how many enterprises a search lists.
	searchLimit = 20
	// myReportsLimit is how many tickets "My reports" shows at once.
	myReportsLimit = 20
	// occurredAtLayout is the value of an <input type="datetime-local">.
	occurredAtLayout = "2006-01-02T15:04"
)

var (
	// eventIDRE is the event contract's id pattern.
	eventIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	// What the form's number fields take: plain decimals, no exponents,
	// no hexadecimal, no NaN.
	integerRE = regexp.MustCompile(`^[-+]?[0-9]+$`)
	decimalRE = regexp.MustCompile(`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
)

// newEventID makes the id of a report when its form is shown: a retry of
// the same form is the same event.
func newEventID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "web-" + hex.EncodeToString(b)
}

// Which optional fields each category asks for. Workers, collective and
// action matter for every category (the rules under `any`); the amount and
// the months in arrears only where money is owed. report.js hides the
// others; without JavaScript every field shows.
var (
	amountCategories = []gridwarn.Category{
		gridwarn.CategoryWageArrears, gridwarn.CategorySocialInsuranceArrears, gridwarn.CategoryClosureRelocation,
		gridwarn.CategoryOwnerAbsconded, gridwarn.CategoryFinancialDistress, gridwarn.CategoryPayTerms,
		gridwarn.CategorySeverance, gridwarn.CategoryPension, gridwarn.CategoryOther,
	}
	monthsCategories = []gridwarn.Category{
		gridwarn.CategoryWageArrears, gridwarn.CategorySocialInsuranceArrears, gridwarn.CategoryOwnerAbsconded,
		gridwarn.CategoryPension, gridwarn.CategoryOther,
	}
	// What was observed of the owner: where a missing owner is the signal
	// or goes with it (unpaid wages, a closure, severance refused).
	ownerCategories = []gridwarn.Category{
		gridwarn.CategoryOwnerAbsconded, gridwarn.CategoryWageArrears, gridwarn.CategoryClosureRelocation,
		gridwarn.CategoryFinancialDistress, gridwarn.CategorySeverance, gridwarn.CategoryOther,
	}
)

func joinCategories(cs []gridwarn.Category) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return strings.Join(out, " ")
}

// reportPage is the data of templates/report.html: the enterprise search,
// or the report form when an enterprise is chosen.
type reportPage struct {
	Query   string
	Results []gridwarn.Enterprise
	More    string // the search's next page: continue after this credit code
	Form    *reportForm
	// Overdue are the enterprises of the caller's grids past due a visit
	// (for those who record visits).
	Overdue *overdueView
}

// reportForm is the report form: what was typed (kept as text so that a
// rejected form shows it again) and what was wrong with it.
type reportForm struct {
	Enterprise      *gridwarn.Enterprise // nil when the enterprise is not visible (a rejected report)
	Code            string
	Visit           string // the visit the report is filed from (its form was pre-filled from it)
	ID              string
	Category        string
	WorkersInvolved string
	AmountOwedCNY   string
	MonthsInArrears string
	Collective      bool
	Action          string
	OwnerStatus     string
	Summary         string
	OccurredAt      string
	ReportedAt      string
	UTCOffset       int // minutes east of UTC of the console's time zone now, for report.js's default time

	Message string            // why the report was refused
	Errors  []fieldMessage    // each field that is wrong
	ByField map[string]string // the same, by field, for the inputs

	Categories       []gridwarn.Category
	Actions          []gridwarn.Action
	OwnerStatuses    []gridwarn.OwnerStatus
	AmountCategories string
	MonthsCategories string
	OwnerCategories  string
}

// fieldMessage is one wrong field in the page's language.
type fieldMessage struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Label   string `json:"label"`
}

// GET /ui/report: the search, or with ?enterprise=CODE the form.
func (s *server) reportPage(c *gin.Context) {
	if code := c.Query("enterprise"); code != "" {
		e, err := s.svc.Registry.Enterprise(c.Request.Context(), visibility(c), code)
		if err != nil {
			s.fail(c, err)
			return
		}
		f := s.newReportForm(e, e.CreditCode)
		f.ID = newEventID()
		f.OccurredAt = s.now().In(s.loc).Format(occurredAtLayout)
		if visit := c.Query("visit"); visit != "" {
			s.fromVisit(c, f, visit)
		}
		s.render(c, http.StatusOK, "report", "report.title", reportPage{Form: f})
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	if codeLike(q) {
		q = strings.ToUpper(q)
	}
	es, err := s.svc.Registry.Enterprises(c.Request.Context(), visibility(c),
		gridwarn.EnterpriseFilter{Query: q, After: c.Query("after"), Limit: searchLimit + 1})
	if err != nil {
		s.fail(c, err)
		return
	}
	p := reportPage{Query: q, Results: es}
	if len(es) > searchLimit {
		p.Results = es[:searchLimit]
		p.More = es[searchLimit-1].CreditCode
	}
	if authz.Can(principal(c).Role, authz.RecordVisits) && q == "" {
		o, err := s.overdue(c, authz.Visibility(principal(c), authz.ReadVisits))
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Overdue = &o
	}
	s.render(c, http.StatusOK, "report", "report.title", p)
}

func utcOffset(t time.Time) int {
	_, off := t.Zone()
	return off / 60
}

// codeLike: a search that looks like (a part of) a credit code, which is
// upper case.
func codeLike(q string) bool {
	if q == "" || strings.ContainsFunc(q, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return false
	}
	return strings.ContainsAny(q, "0123456789")
}

func (s *server) newReportForm(e *gridwarn.Enterprise, code string) *reportForm {
	return &reportForm{
		Enterprise: e, Code: code, UTCOffset: utcOffset(s.now().In(s.loc)),
		Categories: gridwarn.Categories, Actions: gridwarn.Actions, OwnerStatuses: gridwarn.OwnerStatuses,
		AmountCategories: joinCategories(amountCategories), MonthsCategories: joinCategories(monthsCategories),
		OwnerCategories: joinCategories(ownerCategories),
	}
}

// POST /ui/report: the form (or report.js's fetch of it) becomes an event
// on the stream. A form answers with a redirect to "My reports" or the form
// again with what was wrong, under the same id; a script (Accept:
// application/json) gets the receipt, or the error with its status: 4xx is
// final, 5xx means "try again with the same id".
func (s *server) report(c *gin.Context) {
	wantsJSON := strings.Contains(c.GetHeader("Accept"), "application/json")
	f := s.newReportForm(nil, c.PostForm("enterprise"))
	readReportForm(c, f)
	e, err := s.parseReport(f)
	var rcpt gridwarn.ReportReceipt
	if err == nil {
		rcpt, err = s.svc.Reports.Report(c.Request.Context(), principal(c), e)
	}
	if err == nil {
		if wantsJSON {
			c.JSON(http.StatusAccepted, rcpt)
			return
		}
		// To what became of it; a report point, which may not read
		// tickets, back to the form for its next report.
		to := "/ui/my-reports"
		if !authz.Can(principal(c).Role, authz.ReadTickets) {
			to = "/ui/report?enterprise=" + url.QueryEscape(e.Enterprise)
		}
		s.redirect(c, to, "report.sent", false)
		return
	}
	status, code := api.Status(err)
	if code == gridwarn.EINTERNAL {
		s.log.Error("web: report failed", "event_id", f.ID, "err", err)
	}
	l := lang(c)
	f.Message = reportErrorMessage(l, code, err)
	f.Errors = fieldMessages(l, gridwarn.ErrorFields(err))
	for i, fe := range f.Errors {
		if fe.Field == "enterprise" && fe.Rule == gridwarn.RuleCreditCode {
			f.Errors[i].Message = creditCodeText(l, f.Code) // which character is wrong
		}
	}
	f.ByField = map[string]string{}
	for _, fe := range f.Errors {
		f.ByField[fe.Field] = fe.Message
	}
	if wantsJSON {
		fields := f.Errors
		if fields == nil {
			fields = []fieldMessage{}
		}
		c.JSON(status, gin.H{"error": code, "message": f.Message, "fields": fields})
		return
	}
	_ = c.Error(err)
	if !eventIDRE.MatchString(f.ID) {
		f.ID = newEventID() // a tampered id: the retry is a new report
	}
	if (code != gridwarn.EUNPROCESSABLE || gridwarn.IsOutOfWindow(err)) && code != gridwarn.EFORBIDDEN {
		f.Enterprise, _ = s.svc.Registry.Enterprise(c.Request.Context(), visibility(c), f.Code)
	}
	s.render(c, status, "report", "report.title", reportPage{Form: f})
}

// readReportForm copies the posted fields into f.
func readReportForm(c *gin.Context, f *reportForm) {
	f.ID = strings.TrimSpace(c.PostForm("id"))
	f.Category = c.PostForm("category")
	f.WorkersInvolved = strings.TrimSpace(c.PostForm("workers_involved"))
	f.AmountOwedCNY = strings.TrimSpace(c.PostForm("amount_owed_cny"))
	f.MonthsInArrears = strings.TrimSpace(c.PostForm("months_in_arrears"))
	switch c.PostForm("collective") {
	case "on", "true", "1":
		f.Collective = true
	}
	f.Action = c.PostForm("action")
	f.OwnerStatus = c.PostForm("owner_status")
	f.Summary = strings.TrimSpace(strings.ReplaceAll(c.PostForm("summary"), "\r\n", "\n"))
	f.OccurredAt = strings.TrimSpace(c.PostForm("occurred_at"))
	f.ReportedAt = strings.TrimSpace(c.PostForm("reported_at"))
}

// parseReport turns the form into an event: the form's own checks (numbers,
// the local time) first, then the event contract, the same check every
// event passes, so the form takes exactly what the API takes.
func (s *server) parseReport(f *reportForm) (gridwarn.Event, error) {
	var bad []gridwarn.FieldError
	fail := func(field, rule, msg string) {
		bad = append(bad, gridwarn.FieldError{Field: field, Rule: rule, Message: msg})
	}
	doc := map[string]any{"id": f.ID, "enterprise": f.Code}
	if f.Category != "" {
		doc["category"] = f.Category
	}
	// The dates' window (too far ahead, too old) is the domain's check
	// (Event.ValidateWindow), made by the report service for every path; it
	// is made here too so that the form names every wrong field at once.
	var dates gridwarn.Event
	if f.OccurredAt != "" {
		if t, err := parseLocalTime(f.OccurredAt, s.loc); err != nil {
			fail("occurred_at", "format", "is not a date and time")
		} else {
			doc["occurred_at"] = t.Format(time.RFC3339)
			dates.OccurredAt = t
		}
	}
	if f.ReportedAt != "" { // when report.js queued it, not when it arrived
		if t, err := time.Parse(time.RFC3339Nano, f.ReportedAt); err != nil {
			fail("reported_at", "format", "is not an RFC 3339 time")
		} else {
			doc["reported_at"] = t.Format(time.RFC3339Nano)
			dates.ReportedAt = &t
		}
	}
	if dates.OccurredAt.IsZero() {
		dates.OccurredAt = s.now() // not given or unreadable: named above or by the contract
	}
	window := dates.ValidateWindow(s.now(), s.opt.Window)
	number := func(field, v string, integer bool) {
		if v == "" {
			return
		}
		v = strings.NewReplacer(",", "", "，", "", " ", "", "¥", "", "￥", "").Replace(v)
		if integer {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || !integerRE.MatchString(v) {
				fail(field, "integer", "is not a whole number")
				return
			}
			doc[field] = n
			return
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !decimalRE.MatchString(v) {
			fail(field, "number", "is not a number")
			return
		}
		doc[field] = json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	}
	number("workers_involved", f.WorkersInvolved, true)
	number("amount_owed_cny", f.AmountOwedCNY, false)
	number("months_in_arrears", f.MonthsInArrears, false)
	if f.Collective {
		doc["collective"] = true
	}
	if f.Action != "" {
		doc["action"] = f.Action
	}
	if f.OwnerStatus != "" {
		doc["owner_status"] = f.OwnerStatus
	}
	if f.Summary != "" {
		doc["summary"] = f.Summary
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return gridwarn.Event{}, err
	}
	e, err := contract.ParseEvent(raw)
	if err == nil && len(bad) == 0 {
		return e, window // 422 when only the dates are out of the window
	}
	bad = append(bad, gridwarn.ErrorFields(window)...)
	// The contract's complaints about fields the form already named (a
	// number it could not read is "required" to the contract) are dropped.
	named := map[string]bool{}
	for _, b := range bad {
		named[b.Field] = true
	}
	for _, fe := range gridwarn.ErrorFields(err) {
		if !named[fe.Field] {
			bad = append(bad, fe)
		}
	}
	if len(bad) == 0 { // not a field error: keep the contract's
		return gridwarn.Event{}, err
	}
	return e, gridwarn.Invalid("the report is incomplete or wrong", bad...)
}

// parseLocalTime reads a datetime-local value (with or without seconds) in
// the console's time zone; an RFC 3339 time is accepted too.
func parseLocalTime(v string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{occurredAtLayout, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Parse(time.RFC3339, v)
}

// reportFieldOrder is the order of the form's fields, for the list of
// errors.
var reportFieldOrder = []string{"enterprise", "category", "occurred_at", "workers_involved", "amount_owed_cny",
	"months_in_arrears", "owner_status", "collective", "action", "summary", "id", "reported_at"}

// reportFields are the labels' catalogue keys of the form's fields.
var reportFields = map[string]string{
	"id":                "report.field.id",
	"enterprise":        "report.field.enterprise",
	"category":          "report.field.category",
	"workers_involved":  "report.field.workers_involved",
	"amount_owed_cny":   "report.field.amount_owed_cny",
	"months_in_arrears": "report.field.months_in_arrears",
	"collective":        "report.field.collective",
	"action":            "report.field.action",
	"owner_status":      "report.field.owner_status",
	"summary":           "report.field.summary",
	"occurred_at":       "report.field.occurred_at",
	"reported_at":       "report.field.reported_at",
}

// fieldMessages translates field errors: the rule's message in the page's
// language where the catalogue has it, else the error's own message.
func fieldMessages(l string, fes []gridwarn.FieldError) []fieldMessage {
	var out []fieldMessage
	for _, fe := range fes {
		m := fieldMessage{Field: fe.Field, Rule: fe.Rule, Message: ruleText(l, fe, "report.rule."), Label: fieldLabel(l, fe.Field)}
		if key, ok := reportFields[fe.Field]; ok {
			m.Label = catalogue[l][key]
		}
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b fieldMessage) int {
		return cmp.Compare(fieldRank(a.Field), fieldRank(b.Field))
	})
	return out
}

// fieldRank places a field in the form's order; unknown fields go last.
func fieldRank(f string) int {
	if i := slices.Index(reportFieldOrder, f); i >= 0 {
		return i
	}
	return len(reportFieldOrder)
}

// reportErrorMessage says in the page's language why a report was refused.
func reportErrorMessage(l, code string, err error) string {
	if gridwarn.IsOutOfWindow(err) {
		return catalogue[l]["report.error.window"]
	}
	if m, ok := catalogue[l]["report.error."+code]; ok {
		return m
	}
	return errorDetail(l, err)
}

// myReportsPage is the data of templates/my-reports.html.
type myReportsPage struct {
	Rows []myReportRow
	More int64 // the next page: tickets before this id
}

// myReportRow is one ticket that the caller's reports fed.
type myReportRow struct {
	gridwarn.Ticket
	Name    string                 // the enterprise's name ("" when not visible)
	Mine    []gridwarn.StoredEvent // the caller's own events on the ticket
	Notes   []gridwarn.Note        // the shareable notes
	Reports int                    // how many events the ticket has (theirs and others')
}

// GET /ui/my-reports: the tickets the caller's own reports fed, newest
// first, with what the mediators chose to share — never internal notes.
func (s *server) myReportsPage(c *gin.Context) {
	ctx := c.Request.Context()
	p := principal(c)
	// Only the tickets the caller's reports fed, whatever their role: the
	// reporter's view, which also keeps internal notes out.
	v := visibility(c)
	v.ReporterID = p.Username
	f := gridwarn.TicketFilter{Limit: myReportsLimit + 1}
	if after := c.Query("after"); after != "" {
		id, err := strconv.ParseInt(after, 10, 64)
		if err != nil || id <= 0 {
			s.fail(c, gridwarn.Invalid("invalid cursor", gridwarn.FieldError{Field: "after", Rule: "integer", Message: "must be a ticket id"}))
			return
		}
		f.AfterID = id
	}
	ts, err := s.svc.Tickets.ListTickets(ctx, v, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	var page myReportsPage
	if len(ts) > myReportsLimit {
		ts = ts[:myReportsLimit]
		page.More = ts[len(ts)-1].ID
	}
	names := map[string]string{}
	rv := authz.Visibility(p, authz.ReadRegistry)
	for _, t := range ts {
		d, err := s.svc.Tickets.Ticket(ctx, v, t.ID)
		if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
			continue // merged or moved since the list was read
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		row := myReportRow{Ticket: d.Ticket, Reports: len(d.Events)}
		for _, n := range d.Notes {
			if n.Visibility == "shareable" {
				row.Notes = append(row.Notes, n)
			}
		}
		for _, e := range d.Events {
			if e.Reporter != nil && e.Reporter.ID == p.Username {
				row.Mine = append(row.Mine, e)
			}
		}
		name, ok := names[t.Enterprise]
		if !ok {
			if e, err := s.svc.Registry.Enterprise(ctx, rv, t.Enterprise); err == nil {
				name = e.Name
			}
			names[t.Enterprise] = name
		}
		row.Name = name
		page.Rows = append(page.Rows, row)
	}
	s.render(c, http.StatusOK, "my-reports", "report.my.title", page)
}

// reportMessages are the catalogue entries of these pages.
var reportMessages = []message{
	{"report.title", "上报风险信息", "Report a risk"},
	{"report.search.label", "企业名称或统一社会信用代码", "Enterprise name or credit code"},
	{"report.search.placeholder", "输入名称或代码的一部分", "Part of the name or code"},
	{"report.search.none", "在您的网格中没有找到匹配的企业。", "No enterprise of your grids matches."},
	{"report.search.mine", "您网格中的企业", "Enterprises of your grids"},
	{"report.search.results", "搜索结果", "Results"},
	{"report.change", "换一家企业", "Another enterprise"},
	{"report.credit_code", "统一社会信用代码：", "Credit code: "},
	{"report.choose", "请选择", "Choose"},
	{"report.field.id", "编号", "Report id"},
	{"report.field.enterprise", "企业", "Enterprise"},
	{"report.field.category", "类别", "Category"},
	{"report.field.workers_involved", "涉及人数", "Workers involved"},
	{"report.field.amount_owed_cny", "拖欠金额（元）", "Amount owed (CNY)"},
	{"report.field.months_in_arrears", "拖欠月数", "Months in arrears"},
	{"report.field.collective", "职工有共同诉求或集体行动", "Workers act or demand together"},
	{"report.field.action", "职工行为", "What workers do"},
	{"report.field.summary", "情况说明", "Summary"},
	{"report.field.occurred_at", "发生时间", "When it happened"},
	{"report.field.reported_at", "记录时间", "Recorded at"},
	{"report.hint.workers", "裁员时填计划裁减人数。", "For a layoff: the planned cuts."},
	{"report.hint.owner_absconded", "经营者逃匿：发生时间填最后能联系上的时间。", "Owner absconded: when they were last reachable."},
	{"report.field.owner_status", "经营者情况", "The owner"},
	{"report.owner_status.none", "未说明（经营者逃匿类即视为已逃匿）", "Not said (for “owner absconded”: fled)"},
	{"report.owner_status.absconded", "已逃匿（人走、资产转移或厂区无人）", "Fled (gone, assets moved or premises abandoned)"},
	{"report.owner_status.unreachable", "联系不上（其他情况尚不清楚）", "Cannot be reached (nothing more known)"},
	{"report.hint.owner_status", "只知道联系不上时选“联系不上”，发生时间填最后能联系上的时间。", "If you only know they cannot be reached, choose that; “When it happened” is when they were last reachable."},
	{"report.hint.months", "半个月填 0.5。", "Half a month is 0.5."},
	{"report.hint.summary", "最多 2000 字。请勿填写职工身份证号等个人敏感信息。", "At most 2000 characters. No ID numbers or other sensitive personal data."},
	{"report.submit", "提交上报", "Send report"},
	{"report.sent", "上报已送达。", "Report sent."},
	{"report.refused", "上报未被接受：", "The report was not accepted:"},
	{"report.pending.title", "待发送的上报", "Reports waiting to be sent"},
	{"report.pending.help", "网络恢复后将自动重新发送，请勿关闭浏览器数据。", "They are sent again automatically when the network is back; keep this browser's data."},
	{"report.js.sending", "正在发送……", "Sending…"},
	{"report.js.sent", "上报已送达。", "Report sent."},
	{"report.js.duplicate", "该上报此前已送达。", "This report had already arrived."},
	{"report.js.queued", "网络不畅，上报已保存在本机，将自动重新发送。", "Poor connection: the report is saved on this phone and will be sent again automatically."},
	{"report.js.failed", "上报被拒绝：", "The report was refused:"},
	{"report.js.signin", "登录已过期，请重新登录；上报已保存在本机，登录后将自动发送。", "Your sign-in expired: please sign in again. The report is saved on this phone and will be sent after you sign in."},
	{"report.js.waiting", "等待发送", "waiting"},
	{"report.js.rejected", "被拒绝", "refused"},
	{"report.js.discard", "删除", "Discard"},
	{"report.js.signin_link", "重新登录", "Sign in again"},
	{"report.action.stoppage", "停工", "Stoppage"},
	{"report.action.slowdown", "怠工", "Slowdown"},
	{"report.action.sit_in", "静坐", "Sit-in"},
	{"report.action.gathering", "聚集", "Gathering"},
	{"report.action.road_block", "堵路", "Road block"},
	{"report.action.petition", "上访", "Petition"},
	{"report.action.extreme_act", "极端行为（含爬高、死亡事故）", "Extreme act (incl. climbing, fatal accident)"},
	{"report.action.online_only", "仅网上发帖", "Online only"},
	{"report.rule.required", "必填", "is required"},
	{"report.rule.enum", "不是可选的值", "is not one of the choices"},
	{"report.rule.pattern", "格式不正确", "has the wrong format"},
	{"report.rule.format", "格式不正确", "has the wrong format"},
	{"report.rule.future", "不能晚于现在", "cannot lie in the future"},
	{"report.rule.too_old", "早于可受理的期限（超过一年时效）", "is older than a report may be (beyond the one-year limitation)"},
	{"report.rule.integer", "须为整数", "must be a whole number"},
	{"report.rule.number", "须为数字", "must be a number"},
	{"report.rule.type", "类型不正确", "has the wrong type"},
	{"report.rule.minimum", "不能小于 0", "cannot be negative"},
	{"report.rule.maximum", "数值过大", "is too large"},
	{"report.rule.maxLength", "超过 2000 字", "is longer than 2000 characters"},
	{"report.rule.in_scope", "不在您的网格中或不存在", "is unknown or outside your grids"},
	{"report.error.invalid", "请更正标出的项目后重新提交。", "Please correct the marked fields and send again."},
	{"report.error.unprocessable", "该企业不在您的网格中，不能上报。", "This enterprise is not in your grids; you cannot report about it."},
	{"report.error.window", "发生时间不在可受理的范围内，请填写实际发生的时间。", "The date lies outside what can be accepted; enter when it really happened."},
	{"report.error.unavailable", "暂时无法发送，请稍后用同一表单重试（不会重复上报）。", "Cannot send right now; try again later with the same form (it will not be counted twice)."},
	{"report.my.title", "我的上报", "My reports"},
	{"report.my.none", "您还没有上报，或上报尚在处理中。", "No reports yet, or they are still being processed."},
	{"report.my.help", "您的上报形成的工单及处理进展。", "The tickets your reports fed and how they are going."},
	{"report.my.enterprise", "企业", "Enterprise"},
	{"report.my.category", "类别", "Category"},
	{"report.my.level", "等级", "Level"},
	{"report.my.status", "状态", "Status"},
	{"report.my.tier", "层级", "Tier"},
	{"report.my.updated", "最近变化", "Last change"},
	{"report.my.notes", "处理情况", "Updates"},
	{"report.my.mine", "我的上报", "My reports on it"},
	{"report.my.count", "共 %d 条信号", "%d signal(s) in all"},
	{"report.my.no_notes", "暂无反馈", "No updates yet"},
	{"report.my.new", "新上报", "New report"},
}
