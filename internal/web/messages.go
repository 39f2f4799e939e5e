package web

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The services speak English to programs (problem+json, logs); a person
// reads the console in their language. Everything a service says that
// reaches a page — an error's code, a field error's rule and field — is
// translated here from the catalogue, never shown as the service wrote it
// (TestEveryRuleTranslated, TestEveryErrorCodeTranslated).

// errorMessages explain each error code on the error page, and the cases
// the console words itself.
var errorMessages = []message{
	{"error.detail.invalid", "提交的内容有误，请按提示修改后重试。", "What was sent is not valid; correct it as shown and try again."},
	{"error.detail.unauthorized", "请先登录。", "Please sign in first."},
	{"error.detail.forbidden", "您没有权限执行此操作。", "You are not allowed to do this."},
	{"error.detail.not_found", "要找的内容不存在，或不在您的工作范围内。", "It does not exist, or it lies outside your part of the territory."},
	{"error.detail.conflict", "当前状态不允许此操作，可能已被他人处理。请刷新页面查看最新情况。", "This cannot be done in the current state; someone may have acted first. Reload the page to see it as it is now."},
	{"error.detail.too_large", "提交的内容超过了大小上限。", "What was sent is larger than allowed."},
	{"error.detail.too_many", "尝试次数过多，请稍后再试。", "Too many attempts; try again later."},
	{"error.detail.unavailable", "系统的某个部分暂时无法使用，请稍后再试。", "Part of the system is not available right now; try again later."},
	{"error.detail.unprocessable", "所指的对象不存在或不在您的工作范围内。", "What it refers to does not exist or lies outside your part of the territory."},
	{"error.detail.precondition_failed", "工单已被他人修改，请刷新后重试。", "Someone else changed it meanwhile; reload and try again."},
	{"error.detail.precondition_required", "表单缺少版本号，请刷新页面后重试。", "The form lacks the version; reload the page and try again."},
	{"error.detail.internal", "系统内部出错，已记录。请稍后再试，或联系管理员。", "Something went wrong inside; it has been logged. Try again later or tell an administrator."},
	{"error.detail.role", "%s不能%s。", "A %s may not %s."},
	{"error.method_not_allowed", "不能这样打开此页面", "This page cannot be opened this way"},
	{"error.detail.method_not_allowed", "此地址不接受这种请求。请从页面上的链接或按钮进入。", "This address does not take this kind of request; use the page's links and buttons."},
	{"error.unsupported_media_type", "内容格式不受支持", "Unsupported content type"},
	{"error.detail.unsupported_media_type", "提交的内容格式不受支持。", "What was sent is in a format this address does not take."},
	{"error.csrf", "表单已过期或不是从本站提交的，请刷新页面后重试。", "The form has expired or did not come from this site; reload the page and try again."},
	{"error.no_page", "没有这个页面。", "There is no such page."},

	{"authz.tickets.read", "查看工单", "read tickets"},
	{"authz.tickets.change", "办理工单", "work on tickets"},
	{"authz.reports.create", "上报", "send reports"},
	{"authz.registry.read", "查看区划、网格和企业", "read the registry"},
	{"authz.registry.write", "修改区划、网格和企业", "change the registry"},
	{"authz.users.read", "查看人员", "read people"},
	{"authz.users.write", "管理人员和令牌", "manage people and tokens"},
	{"authz.grids.workers", "调整网格员", "change a grid's grid workers"},
	{"authz.dead_letters.read", "查看死信", "read dead letters"},
	{"authz.dead_letters.replay", "重放死信", "replay dead letters"},
	{"authz.self.read", "查看本人信息", "read their own account"},
	{"authz.rules.read", "查看规则", "read the rules"},
	{"authz.rules.manage", "管理规则", "manage the rules"},
	{"authz.summaries.read", "查看周报", "read weekly summaries"},
	{"authz.identities.read", "查看上报人身份", "read reporters' identities"},
	{"authz.identities.audit", "查看身份查阅记录", "audit identity reads"},
	{"authz.visits.create", "登记走访", "record visits"},
	{"authz.visits.read", "查看走访和覆盖率", "read visits and their coverage"},
	{"authz.feed.read", "读取工单变更推送（治理平台）", "read the feed of ticket changes (governance platform)"},
	{"authz.contacts.read", "查看“1+x”联系企业和困难职工", "read the \"1+x\" contact assignments"},
	{"authz.contacts.write", "分配“1+x”联系企业和困难职工", "assign \"1+x\" contacts"},
	{"authz.referrals.read", "查看移交给本机构的案件", "read the referrals sent to one's body"},
	{"authz.referrals.update", "反馈移交案件的结果、委托调解", "report on referrals and commission mediation"},
	{"authz.other", "执行此操作", "do this"},

	{"work.problem.conflict", "工单现在的状态（%s）不允许这一步。", "The ticket's state now (%s) does not admit this step."},
	{"work.problem.forbidden", "这一步需要由其他人办理（例如领取人或本层级负责人）。", "Someone else must take this step (the person who claimed it, or the tier head)."},
}

// ruleMessages say, for each rule a field error can name, what is wrong.
// TestEveryRuleTranslated scans the sources for every rule they produce.
var ruleMessages = []message{
	{"rule.required", "必填", "is required"},
	{"rule.enum", "不是可选的值", "is not one of the choices"},
	{"rule.county_code", "应为六位县级行政区划代码", "must be a six-digit county code"},
	{"rule.other_county", "应为本县以外的县", "must be another county"},
	{"rule.known_county", "既不是本系统的县，也不是已配置的对端", "is neither a county here nor a configured peer"},
	{"rule.reason", "该事由不允许这种方式", "is not allowed for this reason"},
	{"rule.uuid", "应为UUID", "must be a UUID"},
	{"rule.pattern", "格式不正确", "has the wrong format"},
	{"rule.format", "格式不正确", "has the wrong format"},
	{"rule.type", "类型不正确", "has the wrong type"},
	{"rule.integer", "须为整数", "must be a whole number"},
	{"rule.number", "须为不小于 0 的数字", "must be a number, not negative"},
	{"rule.minimum", "数值过小", "is too small"},
	{"rule.maximum", "数值过大", "is too large"},
	{"rule.maxLength", "过长", "is too long"},
	{"rule.max_length", "超过允许的长度", "is longer than allowed"},
	{"rule.min_length", "过短", "is too short"},
	{"rule.control", "不能含有制表符、换行等控制字符", "must not hold control characters such as tabs or line breaks"},
	{"rule.formula", "不能以 = + - @ 开头（电子表格会把它当作公式执行）", "must not start with = + - @ (a spreadsheet would run it as a formula)"},
	{"rule.text", "过长或含有无效字符", "is too long or not plain text"},
	{"rule.date", "日期格式应为 年-月-日", "dates are YYYY-MM-DD"},
	{"rule.datetime", "请填写日期和时间", "must be a date and time"},
	{"rule.future", "不能晚于现在", "cannot lie in the future"},
	{"rule.kind", "此类反馈不能有应付金额", "this kind of update owes no money"},
	{"rule.registered", "不是本县已登记的企业", "is not an enterprise registered in the county"},
	{"rule.state", "当前状态下不能这样做", "cannot be done in the present state"},
	{"rule.partner", "外部机构的账号随机构登记创建", "a partner's account is registered with its body"},
	{"rule.platform", "数据共享平台的账号须单独登记", "a platform's account is registered on its own"},
	{"rule.too_old", "早于可受理的期限", "is older than can be accepted"},
	{"rule.too_many", "条目过多", "has too many entries"},
	{"rule.range", "超出允许的范围", "is out of range"},
	{"rule.exists", "不存在", "does not exist"},
	{"rule.scope", "不在您的工作范围内", "lies outside your part of the territory"},
	{"rule.in_scope", "不存在或不在您的工作范围内", "is unknown or outside your part of the territory"},
	{"rule.credit_code", "不是有效的统一社会信用代码（18 位，校验位须正确）", "is not a valid unified social credit code (18 characters with the right check character)"},
	{"rule.county", "不属于该县（区）", "is not in that county"},
	{"rule.match", "须与镇（街道）代码的前 6 位一致", "must be the first 6 digits of the town code"},
	{"rule.forbidden", "此处不能填写", "must not be given here"},
	{"rule.placement", "无法确定所属网格，请指定网格", "cannot be placed in a grid by itself; name the grid"},
	{"rule.last_grid", "是某位网格员唯一的网格，不能移除", "is the only grid of a grid worker and cannot be removed"},
	{"rule.role", "角色不符合要求", "has the wrong role"},
	{"rule.works_at_tier", "须为能办理本层级工单的调解员", "must be a mediator who works this ticket's tier"},
	{"rule.merge", "须为同一企业另一张未办结的工单", "must be another open ticket of the same enterprise"},
	{"rule.unknown_field", "不是可填写的项目", "is not a field that can be given"},
	{"rule.json", "不是有效的 JSON", "is not valid JSON"},
	{"rule.decode", "无法读取", "cannot be read"},
	{"rule.schema", "不符合格式要求", "does not have the required form"},
	{"rule.value", "取值无效", "has an invalid value"},
	{"rule.conflict", "已被使用", "is already taken"},
	{"rule.invalid", "无效", "is not valid"},
	{"rule.not_future", "不能晚于今天", "must not be after today"},
	{"rule.window", "最早可登记一年前的日期", "may be at most a year ago"},
	{"rule.only_follow_up", "只有工单回访才填写工单号", "is only for a ticket's follow-up"},
	{"rule.of_enterprise", "不是该企业的工单", "is not a ticket of this enterprise"},
	{"rule.needs_union", "只有已自建工会的企业才填写", "is only for an enterprise with its own union"},
	{"rule.own_union", "已自建工会的企业不属于联合工会", "must be empty for an enterprise with its own union"},
	{"rule.period", "须为月份（如 2026-11）或季度（如 2026-Q4）", "must be a month (2026-11) or a quarter (2026-Q4)"},
	{"rule.unique", "在文件中重复出现", "appears more than once"},
	{"rule.disabled", "该人员已停用", "is disabled"},
	{"rule.max_items", "条目过多", "has too many items"},
	{"rule.person_scope", "不在该人员的工作范围内（无法登记走访）", "lies outside the person's part of the territory (they could not record a visit there)"},
}

// creditCodeMessages say which character of a credit code is wrong
// (gridwarn.CreditCodeError's problems).
var creditCodeMessages = []message{
	{"cc.length", "统一社会信用代码应为 18 位，这里是 %d 位", "a credit code has 18 characters, this one %d"},
	{"cc.not_ascii", "第 %d 位“%c”不是半角字母或数字（是全角字符吗？）", "character %d (%c) is not an ASCII letter or digit (full-width?)"},
	{"cc.division", "第 %d 位“%c”应为数字：第 3–8 位是行政区划代码", "character %d (%c) must be a digit: characters 3–8 are the administrative division code"},
	{"cc.alphabet", "第 %d 位“%c”不能用于统一社会信用代码（不用 I、O、S、V、Z）", "character %d (%c) cannot be in a credit code (I, O, S, V and Z are never used)"},
	{"cc.check", "第 18 位（校验位）是“%c”，应为“%c”，请核对代码", "character 18 (the check character) is %c, it should be %c: check the code"},
}

// creditCodeText says in the page's language what is wrong with a credit
// code; the rule's message when nothing is (or the code is not known).
func creditCodeText(lang, code string) string {
	m := catalogue[lang]
	var ce *gridwarn.CreditCodeError
	if !errors.As(gridwarn.ValidateCreditCode(code), &ce) {
		return m["rule.credit_code"]
	}
	return creditCodeErrorText(lang, ce)
}

// historyMessages label the values a ticket's history lines carry (the
// data the store's writers record: the workflow's door, the engine's
// batches, the sweeper, the identity eraser), and word some of them.
var historyMessages = []message{
	{"hist.assignee", "指派给", "Assigned to"},
	{"hist.tier", "层级", "Tier"},
	{"hist.contact.kind", "联系方式", "Contact"},
	{"hist.contact.held_at", "联系时间", "When"},
	{"hist.contact.place", "地点", "Place"},
	{"hist.contact.attendees", "参加人员", "Attendees"},
	{"hist.contact.summary", "内容摘要", "Summary"},
	{"hist.visibility", "可见范围", "Visible to"},
	{"hist.outcome.result", "处理结果", "Outcome"},
	{"hist.outcome.amount_recovered_cny", "追回金额", "Amount recovered"},
	{"hist.outcome.workers_covered", "惠及职工", "Workers covered"},
	{"hist.outcome.agreement_date", "协议日期", "Agreement date"},
	{"hist.outcome.promised_payments", "承诺付款日期", "Promised payments"},
	{"hist.outcome.recorded_at", "记录时间", "Recorded"},
	{"hist.approved", "审核意见", "Review"},
	{"hist.approved.true", "通过", "approved"},
	{"hist.approved.false", "退回重办", "sent back to be redone"},
	{"hist.satisfied", "上报人是否满意", "Reporter satisfied"},
	{"hist.satisfied.true", "满意", "satisfied"},
	{"hist.satisfied.false", "不满意", "not satisfied"},
	{"hist.body", "移交机构", "Referred to"},
	{"hist.reference", "对方文号", "Their reference"},
	{"hist.body_name", "接收机构", "Receiving body"},
	{"hist.collective", "集体争议", "Collective dispute"},
	{"hist.referral_id", "移交编号", "Referral"},
	{"hist.update", "反馈", "Update"},
	{"hist.on_date", "日期", "Date"},
	{"hist.hearing_at", "开庭时间", "Hearing"},
	{"hist.amount_cny", "金额", "Amount"},
	{"hist.owed_cny", "应付金额", "Owed"},
	{"hist.pay_by", "付款期限", "Pay by"},
	{"hist.into", "合并到", "Merged into"},
	{"hist.due_at", "新的截止时间", "New due time"},
	{"hist.follow_up_on", "承诺付款日", "Promised date"},
	{"hist.paid", "付款情况", "Payment"},
	{"hist.paid.true", "已按期支付", "paid as promised"},
	{"hist.paid.false", "未按期支付", "not paid as promised"},
	{"hist.lapsed", "原领取人", "Claimed by"},
	{"hist.clock", "时限", "Time limit"},
	{"hist.clock_tier", "时限所属层级", "Tier of the limit"},
	{"hist.rules_version", "规则版本", "Rules version"},
	{"hist.relapse_of", "复发自", "Relapse of"},
	{"hist.ticket", "新工单", "New ticket"},
	{"hist.level", "等级", "Level"},
	{"hist.score", "风险分", "Risk score"},
	{"hist.fired", "触发的规则", "Rules that fired"},
	{"hist.relapse", "办结后复发", "Relapse after a close"},
	{"hist.absorbed_category", "并入的类别", "Category absorbed"},
	{"hist.events", "涉及事件", "Events"},
	{"hist.people", "%d 人", "%d"},
	{"hist.list_sep", "、", ", "},
}

// fieldLabels name the fields the services' errors point at.
var fieldLabels = []message{
	{"field.record", "第 %d 条记录", "Record %d"},
	{"field.town", "镇街", "Town"},
	{"field.grid", "网格", "Grid"},
	{"field.q", "搜索内容", "Search text"},
	{"field.status", "状态", "Status"},
	{"field.level", "等级", "Level"},
	{"field.limit", "每页条数", "Page size"},
	{"field.disabled", "停用", "Disabled"},
	{"field.action", "操作", "Action"},
	{"field.after", "翻页位置", "Page position"},
	{"field.cursor", "翻页位置", "Page position"},
	{"field.assignee", "指派给", "Assignee"},
	{"field.category", "类别", "Category"},
	{"field.code", "代码", "Code"},
	{"field.credit_code", "统一社会信用代码", "Credit code"},
	{"field.days", "天数", "Days"},
	{"field.display_name", "姓名", "Name"},
	{"field.due_at", "截止时间", "Due time"},
	{"field.enterprise", "企业", "Enterprise"},
	{"field.follow_up_on", "承诺付款日", "Promised date"},
	{"field.grid_code", "网格", "Grid"},
	{"field.village", "村（社区）", "Village"},
	{"field.into", "合并到工单号", "Merge into ticket no."},
	{"field.kind", "类型", "Kind"},
	{"field.name", "名称", "Name"},
	{"field.name_zh", "中文名称", "Chinese name"},
	{"field.occurred_at", "发生时间", "Occurred"},
	{"field.parent_code", "上级代码", "Parent code"},
	{"field.password", "密码", "Password"},
	{"field.reason", "原因", "Reason"},
	{"field.reported_at", "上报时间", "Reported"},
	{"field.role", "角色", "Role"},
	{"field.scope", "工作范围", "Scope"},
	{"field.scope.grid_codes", "工作范围的网格", "Grids of the scope"},
	{"field.scope.kind", "工作范围类型", "Kind of scope"},
	{"field.scope.unit_code", "工作范围的区划代码", "Unit of the scope"},
	{"field.town_code", "镇（街道）", "Town"},
	{"field.town_type", "镇（街道）类型", "Town type"},
	{"field.unit", "单位", "Unit"},
	{"field.user", "人员", "Person"},
	{"field.username", "用户名", "Username"},
	{"field.week", "周", "Week"},
	{"field.workers", "网格员", "Grid workers"},
	{"field.headcount", "职工人数", "Headcount"},
	{"field.industry_code", "行业代码", "Industry code"},
	{"field.ownership", "所有制", "Ownership"},
	{"field.compliance_grade", "信用等级", "Compliance grade"},
	{"field.registered_capital_cny", "注册资本（元）", "Registered capital (¥)"},
}

// recordPrefix is an import's "[3].town_code": the record's index first.
var recordPrefix = regexp.MustCompile(`^\[(\d+)\]\.`)

// fieldLabel names a service's field path in the page's language: the
// catalogue's label, a form's label, else the path itself (a code the
// person typed, such as a CSV column, is its own name).
func fieldLabel(lang, path string) string {
	m := catalogue[lang]
	prefix := ""
	if sm := recordPrefix.FindStringSubmatch(path); sm != nil {
		n, _ := strconv.Atoi(sm[1])
		prefix = fmt.Sprintf(m["field.record"], n+1) + " "
		path = path[len(sm[0]):]
	}
	for _, k := range []string{"field." + path, "work.field." + formField(path), "report.field." + path} {
		if l, ok := m[k]; ok {
			return prefix + l
		}
	}
	return prefix + path
}

// ruleText says in the page's language what is wrong with a field: the
// page's own wording of the rule (keys prefix+rule, e.g. "work.rule."),
// else the common one; a rule the catalogue lacks (a bug the catalogue
// test reports) shows the generic "invalid".
func ruleText(lang string, fe gridwarn.FieldError, prefixes ...string) string {
	m := catalogue[lang]
	if fe.Rule == "" && fe.Message != "" {
		return fe.Message // the console's own, already in the page's language
	}
	for _, p := range append(prefixes, "rule.") {
		if t, ok := m[p+fe.Rule]; ok {
			return t
		}
	}
	return m["rule.value"]
}

// translatedField is a field error as a page shows it.
type translatedField struct {
	Field, Message string
}

// translateFields translates field errors for a page.
func translateFields(lang string, fs []gridwarn.FieldError) []translatedField {
	out := make([]translatedField, 0, len(fs))
	for _, f := range fs {
		tf := translatedField{Message: ruleText(lang, f)}
		if f.Field != "" {
			tf.Field = fieldLabel(lang, f.Field)
		}
		out = append(out, tf)
	}
	return out
}

// errorDetail is the error page's explanation of err in the page's
// language: the code's, or a refusal by role with the role and the action.
func errorDetail(lang string, err error) string {
	m := catalogue[lang]
	code := gridwarn.ErrorCode(err)
	if t, ok := m["error.detail."+code]; ok {
		return t
	}
	return m["error.detail.internal"]
}

// roleRefusal words authz's refusal of an action to a role.
func roleRefusal(lang string, role gridwarn.Role, a authz.Action) string {
	m := catalogue[lang]
	act, ok := m["authz."+string(a)]
	if !ok {
		act = m["authz.other"]
	}
	r, ok := m["role."+string(role)]
	if !ok {
		r = string(role)
	}
	return fmt.Sprintf(m["error.detail.role"], r, strings.TrimSpace(act))
}

// standingMessages are the texts of the union's standing work (issue 16):
// the visit form and list, the coverage page, the circulars and the
// monthly and quarterly reports (visits.go, standing.go).
var standingMessages = []message{
	{"visit.title", "登记走访", "Record a visit"},
	{"visit.list_title", "走访", "Visits"},
	{"visit.new", "登记走访", "Record a visit"},
	{"visit.record", "登记", "Record"},
	{"visit.recent", "最近的走访", "Latest visits"},
	{"visit.none", "还没有走访记录。", "No visit recorded yet."},
	{"visit.sent", "走访已登记。", "Visit recorded."},
	{"visit.refused", "走访未被接受：", "The visit was not accepted:"},
	{"visit.colon", "：", ": "},
	{"visit.field.id", "编号", "Visit id"},
	{"visit.field.enterprise", "企业", "Enterprise"},
	{"visit.field.visited_on", "走访日期", "Date"},
	{"visit.field.kind", "走访方式", "Kind"},
	{"visit.field.ticket_id", "回访的工单号", "Ticket followed up"},
	{"visit.field.people_met", "走访对象", "People met"},
	{"visit.field.findings", "发现的情况", "Findings"},
	{"visit.field.report_id", "上报编号", "Report id"},
	{"visit.field.file_report", "根据这次走访上报风险", "File a report from this visit"},
	{"visit.hint.ticket_id", "工单回访时填写，例如 1024。", "For a ticket's follow-up, e.g. 1024."},
	{"visit.hint.people_met", "如：人事经理、3 名职工。请勿填写身份证号。", "E.g. the HR manager, 3 workers. No ID numbers."},
	{"visit.hint.findings", "最多 4000 字。", "At most 4000 characters."},
	{"visit.hint.file_report", "登记后打开上报表单，已填好企业和情况说明；两者互相关联。", "After recording, the report form opens with the enterprise and summary filled in; the two are linked."},
	{"visit.submit", "登记走访", "Record visit"},
	{"visit.report_from", "根据走访填写：情况说明取自走访发现，可修改后提交。", "Filed from a visit: the summary is the visit's findings; edit it before sending."},
	{"visit.reported", "已上报", "reported"},
	{"visit.kind.patrol", "走访巡查", "Patrol"},
	{"visit.kind.interview", "约谈", "Interview"},
	{"visit.kind.workers_forum", "职工座谈", "Workers' forum"},
	{"visit.kind.ticket_follow_up", "工单回访", "Follow-up of a ticket"},
	{"visit.overdue", "逾期未走访的企业", "Enterprises past due a visit"},
	{"visit.overdue_help", "重点企业每月至少走访一次，其他企业每季度一次。", "Key enterprises are due a visit every month, the others every quarter."},
	{"visit.overdue_none", "没有逾期未走访的企业。", "No enterprise is past due a visit."},
	{"visit.col.key", "重点", "Key"},
	{"visit.col.last", "上次走访", "Last visit"},
	{"visit.col.late", "逾期", "Late"},
	{"visit.col.visitor", "走访人", "Visitor"},
	{"visit.key", "重点企业", "key"},
	{"visit.never", "从未走访", "never"},
	{"visit.days_late", "%d 天", "%d days"},
	{"visit.pending.title", "待发送的走访", "Visits waiting to be sent"},
	{"visit.js.sent", "走访已登记。", "Visit recorded."},
	{"visit.js.duplicate", "该走访此前已登记。", "This visit had already been recorded."},
	{"visit.js.queued", "网络不畅，走访已保存在本机，将自动重新发送。", "Poor connection: the visit is saved on this phone and will be sent again automatically."},
	{"visit.js.failed", "走访被拒绝：", "The visit was refused:"},
	{"visit.error.invalid", "请更正标出的项目后重新提交。", "Please correct the marked fields and send again."},
	{"visit.error.unprocessable", "该企业或工单不在您的工作范围内。", "This enterprise or ticket lies outside your part of the territory."},
	{"visit.error.conflict", "这个编号已用于另一次走访，请重新打开表单。", "This id was used for another visit; open the form again."},
	{"visit.error.unavailable", "暂时无法登记，请稍后用同一表单重试（不会重复登记）。", "Cannot record right now; try again later with the same form (it will not be counted twice)."},

	{"cov.title", "走访覆盖率", "Visits' coverage"},
	{"cov.period", "统计时段 %s（%s 至 %s）", "Period %s (%s to %s)"},
	{"cov.unit", "单位", "Unit"},
	{"cov.my_scope", "我的范围", "My scope"},
	{"cov.period_label", "时段（月、季度或年）", "Period (month, quarter or year)"},
	{"cov.quick", "快速选择：", "Quick picks:"},
	{"cov.this_month", "本月", "this month"},
	{"cov.this_quarter", "本季度", "this quarter"},
	{"cov.this_year", "本年", "this year"},
	{"cov.of", "%d / %d 家", "%d of %d"},
	{"cov.target", "目标", "target"},
	{"cov.towns", "已走访的镇（街道）", "Towns visited"},
	{"cov.villages", "已走访的村（社区）", "Villages reached"},
	{"cov.villages_of", "%d / %d 个村（社区）", "%d of %d villages"},
	{"cov.village", "村（社区）", "Village"},
	{"cov.villages_note", "只统计名录中填写了所在村（社区）的企业；村（社区）内有一家企业被走访即算走访到。", "Only enterprises whose village the registry names count; a village is reached when one of its enterprises had a visit."},
	{"cov.parts", "各单位", "By unit"},
	{"cov.enterprises", "企业数", "Enterprises"},
	{"cov.visited", "已走访", "Visited"},
	{"cov.share", "覆盖率", "Coverage"},
	{"cov.key_enterprises", "重点企业数", "Key enterprises"},
	{"cov.key_share", "重点企业覆盖率", "Key coverage"},
	{"cov.note", "同一企业在时段内走访多次只计一次；时段按北京时间计。目标见配置 visits.*。", "An enterprise visited twice in the period counts once; periods are in China time. Targets: config visits.*."},
	{"cov.bad_unit", "单位应为县、镇（街道）或网格代码", "the unit must be a county, town or grid code"},
	{"cov.bad_period", "时段应为月（2026-11）、季度（2026-Q4）或年（2026）", "the period must be a month (2026-11), a quarter (2026-Q4) or a year (2026)"},

	{"sum.cadences", "每周一调度、每月一推送、每季度一研判；建会工作一月一通报。", "Weekly dispatch, monthly push, quarterly analysis; the unionization circular every month."},
	{"sum.weekly", "周报", "Weekly summaries"},
	{"sum.monthly", "月度推送", "Monthly pushes"},
	{"sum.quarterly", "季度研判", "Quarterly analyses"},
	{"sum.period", "时段", "Period"},
	{"sum.monthly_none", "还没有月度推送。每月 1 日为上月生成。", "No monthly push yet. They are built on the 1st for the month before."},
	{"sum.quarterly_none", "还没有季度研判。每季度初为上一季度生成。", "No quarterly analysis yet. They are built at the start of a quarter for the one before."},
	{"period.page_title", "月度推送与季度研判", "Monthly push and quarterly analysis"},
	{"period.title_month", "劳动关系风险月度推送", "Monthly labor-dispute risk push"},
	{"period.title_quarter", "劳动关系风险季度研判", "Quarterly labor-dispute risk analysis"},
	{"doc.html", "HTML 版", "HTML"},
	{"doc.back", "返回报告列表", "All reports"},

	{"circ.list_title", "建会工作通报", "Unionization circulars"},
	{"circ.page_title", "建会工作通报", "Unionization circular"},
	{"circ.help", "应建未建企业清单的每月通报和季度总结。", "The monthly circular and the quarterly summary of the list of enterprises that should have a union."},
	{"circ.none", "还没有通报。每月 1 日 8:00 为上月生成。", "No circular yet. They are built on the 1st at 08:00 for the month before."},
	{"circ.bad_period", "时段应为月（2026-11）或季度（2026-Q4）", "the period must be a month (2026-11) or a quarter (2026-Q4)"},
}
