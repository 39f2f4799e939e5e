package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The administrator's pages: the registry (admin_registry.go), the people
// and their tokens (admin_users.go) and the rules (admin_rules.go). Each
// page takes the action the API takes for the same thing, so a leader may
// read the people and the rules but change nothing, and every list and
// object is limited to the caller's part of the territory.
func (s *server) adminRoutes(g *gin.RouterGroup) {
	g.GET("/admin", s.allow(authz.WriteRegistry), s.adminIndex)

	g.GET("/admin/units", s.allow(authz.ReadRegistry), s.adminUnitsPage)
	g.GET("/admin/grids", s.allow(authz.ReadRegistry), s.adminGridsPage)
	g.GET("/admin/enterprises", s.allow(authz.ReadRegistry), s.adminEnterprisesPage)
	g.GET("/admin/enterprises/export", s.allow(authz.ReadRegistry), s.adminExportEnterprises)
	g.POST("/admin/enterprises/import", s.allow(authz.WriteRegistry), s.adminImportEnterprises)
	g.GET("/admin/enterprises/:code", s.allow(authz.ReadRegistry), s.adminEnterprisePage)
	g.POST("/admin/enterprises/:code", s.allow(authz.WriteRegistry), s.adminPutEnterprise)

	g.GET("/admin/users", s.allow(authz.ReadUsers), s.adminUsersPage)
	g.POST("/admin/users", s.allow(authz.WriteUsers), s.adminCreateUser)
	g.GET("/admin/users/:id", s.allow(authz.ReadUsers), s.adminUserPage)
	g.POST("/admin/users/:id/password", s.allow(authz.WriteUsers), s.adminSetPassword)
	g.POST("/admin/users/:id/tokens", s.allow(authz.WriteUsers), s.adminCreateToken)
	g.POST("/admin/tokens/:id/revoke", s.allow(authz.WriteUsers), s.adminRevokeToken)

	g.GET("/admin/rules", s.allow(authz.ReadRules), s.adminRulesPage)
	g.POST("/admin/rules/check", s.allow(authz.ManageRules), s.adminCheckRules)
	g.POST("/admin/rules/diff", s.allow(authz.ManageRules), s.adminDiffRules)
	g.POST("/admin/rules/reload", s.allow(authz.ManageRules), s.adminReloadRules)
}

// adminPageSize is how many rows one page of a registry or people list
// shows.
const adminPageSize = 50

// The shapes of codes and searches the lists accept (as the API's).
var (
	adminTownRE   = regexp.MustCompile(`^[0-9]{9}$`)
	adminGridRE   = regexp.MustCompile(`^[0-9]{9}-[PIJ][0-9]{2,}$`)
	adminCodeRE   = regexp.MustCompile(`^[0-9A-Z]{18}$`)
	adminSearchRE = regexp.MustCompile(`^[^\x00%_\\\x{FFFD}]{1,100}$`)
)

type adminIndexView struct {
	Towns int
	Rules gridwarn.RulesInfo
}

// adminIndex links to the sections, with the number of towns in the
// caller's scope and the rules in force.
func (s *server) adminIndex(c *gin.Context) {
	var v adminIndexView
	units, err := s.svc.Registry.Units(c.Request.Context(), visibility(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, u := range units {
		if u.Kind == gridwarn.UnitTown {
			v.Towns++
		}
	}
	if s.svc.Rules != nil {
		v.Rules = s.svc.Rules.RulesInfo()
	}
	s.render(c, http.StatusOK, "admin", "admin.title", v)
}

// adminOption is one choice of a select.
type adminOption struct{ Value, Label string }

// adminUnitLabel is a unit's name in the page's language, with its code.
func adminUnitLabel(u gridwarn.Unit, l string) string {
	name := u.NameZH
	if l == "en" && u.NameEN != "" {
		name = u.NameEN
	}
	return name + " (" + u.Code + ")"
}

// adminUnits are the units the caller sees for reading the registry: the
// towns as select options and every unit's label by code.
func (s *server) adminUnits(c *gin.Context) (towns []adminOption, labels map[string]string, err error) {
	units, err := s.svc.Registry.Units(c.Request.Context(), authz.Visibility(principal(c), authz.ReadRegistry))
	if err != nil {
		return nil, nil, err
	}
	labels = make(map[string]string, len(units))
	for _, u := range units {
		labels[u.Code] = adminUnitLabel(u, lang(c))
		if u.Kind == gridwarn.UnitTown {
			towns = append(towns, adminOption{Value: u.Code, Label: labels[u.Code]})
		}
	}
	return towns, labels, nil
}

// adminQuery reads a list's query: each parameter checked against its
// shape; a bad one becomes a field error and is ignored.
type adminQuery struct {
	q      url.Values
	errors []gridwarn.FieldError
}

func newAdminQuery(c *gin.Context) *adminQuery { return &adminQuery{q: c.Request.URL.Query()} }

func (a *adminQuery) match(name string, re *regexp.Regexp, msg string) string {
	v := strings.TrimSpace(a.q.Get(name))
	if v == "" || re.MatchString(v) {
		return v
	}
	a.errors = append(a.errors, gridwarn.FieldError{Field: name, Rule: "pattern", Message: msg})
	return ""
}

// next is the URL of the next page: this page's query with the cursor.
func (a *adminQuery) next(path, cursor string) string {
	q := url.Values{}
	for k, vs := range a.q {
		if k != "cursor" {
			q[k] = vs
		}
	}
	q.Set("cursor", cursor)
	return path + "?" + q.Encode()
}

// status is 400 when the query had a bad parameter.
func (a *adminQuery) status() int {
	if len(a.errors) > 0 {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// adminPick returns v if it is one of the known values, else "".
func adminPick[T ~string](v string, known []T) T {
	for _, k := range known {
		if string(k) == v {
			return k
		}
	}
	return ""
}

// adminID reads a numeric path parameter; anything else is not found.
func adminID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, gridwarn.Errorf(gridwarn.ENOTFOUND, "not found")
	}
	return id, nil
}

// adminMessages are the catalogue entries of these pages.
var adminMessages = []message{
	{"admin.title", "管理", "Administration"},
	{"admin.intro", "维护辖区内的镇街、网格、企业、人员与预警规则。", "Maintain the towns, grids, enterprises, people and warning rules of your area."},
	{"admin.section.registry", "名录", "Registry"},
	{"admin.section.people", "人员", "People"},
	{"admin.section.rules", "规则", "Rules"},
	{"admin.towns_count", "辖区内 %d 个镇街", "%d towns in your area"},
	{"admin.rules_version", "当前规则版本 %s，共 %d 条", "Rules in force: version %s, %d rules"},
	{"admin.back", "返回管理", "Back to administration"},
	{"admin.none", "暂无记录。", "Nothing here yet."},
	{"admin.more", "下一页", "Next page"},
	{"admin.first", "第一页", "First page"},
	{"admin.query_errors", "查询条件有误，已忽略：", "Some filters were not understood and were ignored:"},
	{"admin.errors", "有错误，未保存：", "There are errors; nothing was saved:"},

	// Registry.
	{"admin.units.title", "镇街", "Towns"},
	{"admin.grids.title", "网格", "Grids"},
	{"admin.enterprises.title", "企业", "Enterprises"},
	{"admin.enterprise.title", "企业详情", "Enterprise"},
	{"admin.import.title", "导入企业", "Import enterprises"},
	{"admin.col.code", "代码", "Code"},
	{"admin.col.name", "名称", "Name"},
	{"admin.col.name_en", "英文名称", "English name"},
	{"admin.col.kind", "类型", "Kind"},
	{"admin.col.town_type", "镇街类型", "Town type"},
	{"admin.col.parent", "上级", "Parent"},
	{"admin.col.town", "镇街", "Town"},
	{"admin.col.grid", "网格", "Grid"},
	{"admin.col.industry", "行业", "Industry"},
	{"admin.col.workers", "网格员", "Grid workers"},
	{"admin.col.credit_code", "统一社会信用代码", "Credit code"},
	{"admin.col.headcount", "职工人数", "Headcount"},
	{"admin.col.ownership", "所有制", "Ownership"},
	{"admin.col.grade", "合规等级", "Compliance grade"},
	{"admin.col.capital", "注册资本", "Registered capital"},
	{"admin.col.union", "已建工会", "Has a union"},
	{"admin.col.committee", "有调解委员会", "Has a mediation committee"},
	{"admin.col.key", "重点企业", "Key enterprise"},
	{"admin.col.updated", "更新时间", "Updated"},
	{"admin.col.line", "行", "Line"},
	{"admin.col.column", "列", "Column"},
	{"admin.col.value", "值", "Value"},
	{"admin.col.reason", "原因", "Reason"},
	{"admin.col.county", "县（区）", "County"},
	{"admin.unitkind.county", "县（区）", "county"},
	{"admin.unitkind.town", "镇街", "town"},
	{"admin.towntype.town", "镇", "town"},
	{"admin.towntype.subdistrict", "街道", "subdistrict"},
	{"admin.towntype.park", "园区", "park"},
	{"admin.gridkind.park", "园区大网格", "park grid"},
	{"admin.gridkind.independent", "独立网格", "independent grid"},
	{"admin.gridkind.joint", "联合网格", "joint grid"},
	{"admin.ownership.state", "国有", "state"},
	{"admin.ownership.collective", "集体", "collective"},
	{"admin.ownership.private", "私营", "private"},
	{"admin.ownership.foreign", "外资", "foreign"},
	{"admin.ownership.hk_macao_taiwan", "港澳台", "Hong Kong, Macao, Taiwan"},
	{"admin.ownership.joint_venture", "合资", "joint venture"},
	{"admin.ownership.other", "其他", "other"},
	{"admin.grade.auto", "（默认 B）", "(default B)"},
	{"admin.grid.auto", "（按规则自动划分）", "(placed by the rule)"},
	{"admin.search", "名称或信用代码", "Name or credit code"},
	{"admin.enterprises.grids", "网格", "grids"},
	{"admin.enterprises.list", "企业", "enterprises"},
	{"admin.export", "导出 CSV", "Export CSV"},
	{"admin.import.help", "上传 UTF-8 编码的 CSV 文件（与 API 和命令行 gridwarn import 格式相同，中英文表头均可），或直接粘贴内容。全部成功才保存，有任何错误则不作任何修改。",
		"Upload a UTF-8 CSV file (the format of the API and of `gridwarn import`; English or Chinese headers), or paste it. Either every row is saved or none."},
	{"admin.import.file", "CSV 文件", "CSV file"},
	{"admin.import.paste", "或粘贴 CSV", "or paste the CSV"},
	{"admin.import.dry_run", "试运行（只检查，不保存）", "Dry run (check only, save nothing)"},
	{"admin.import.submit", "导入", "Import"},
	{"admin.import.empty", "请选择文件或粘贴 CSV 内容。", "Choose a file or paste the CSV."},
	{"admin.import.too_large", "文件过大。", "The file is too large."},
	{"admin.import.done", "导入完成。", "Imported."},
	{"admin.import.dry_done", "试运行完成：以下为将会发生的变化，未作任何修改。", "Dry run: this is what would change; nothing was saved."},
	{"admin.import.failed", "文件有错误，未导入任何数据：", "The file has errors; nothing was imported:"},
	{"admin.import.rows", "行数", "Rows"},
	{"admin.import.created", "新增", "Created"},
	{"admin.import.updated", "更新", "Updated"},
	{"admin.import.unchanged", "未变", "Unchanged"},
	{"admin.import.record", "第 %d 条（%s）", "record %d (%s)"},
	{"admin.import.whole_file", "整个文件", "the whole file"},
	{"admin.enterprise.edit", "修改", "Edit"},
	{"admin.enterprise.saved", "企业信息已保存。", "The enterprise was saved."},

	// People.
	{"admin.users.title", "人员", "People"},
	{"admin.user.title", "人员详情", "Person"},
	{"admin.token.title", "新令牌", "New token"},
	{"admin.col.id", "编号", "ID"},
	{"admin.col.username", "用户名", "Username"},
	{"admin.col.display_name", "姓名", "Name"},
	{"admin.col.role", "角色", "Role"},
	{"admin.col.scope", "范围", "Scope"},
	{"admin.col.tier_head", "层级负责人", "Tier head"},
	{"admin.col.disabled", "已停用", "Disabled"},
	{"admin.col.created", "创建时间", "Created"},
	{"admin.col.token_name", "令牌名称", "Token name"},
	{"admin.col.prefix", "前缀", "Prefix"},
	{"admin.col.expires", "到期", "Expires"},
	{"admin.col.last_used", "最近使用", "Last used"},
	{"admin.col.revoked", "已吊销", "Revoked"},
	{"admin.scope.county", "全县", "county"},
	{"admin.scope.town", "镇街", "town"},
	{"admin.scope.grids", "网格", "grids"},
	{"admin.user.new", "新增人员", "Add a person"},
	{"admin.user.unit", "单位（县或镇街）", "Unit (county or town)"},
	{"admin.user.grids", "网格编码（范围为网格时填写，可多个，用逗号或空格分隔）", "Grid codes (for a grid scope; several, separated by commas or spaces)"},
	{"admin.user.create", "创建", "Create"},
	{"admin.user.created", "已创建。请为其设置密码或创建令牌。", "Created. Set a password or create a token for them."},
	{"admin.user.password", "设置密码", "Set a password"},
	{"admin.user.password_help", "至少 %d 个字符。设置后该人员已登录的会话全部失效。", "At least %d characters. Their open sessions end."},
	{"admin.user.password_new", "新密码", "New password"},
	{"admin.user.password_set", "密码已设置，原有会话已失效。", "The password was set; their sessions have ended."},
	{"admin.user.tokens", "接口令牌", "API tokens"},
	{"admin.user.no_tokens", "没有令牌。", "No tokens."},
	{"admin.user.token_new", "创建令牌", "Create a token"},
	{"admin.user.token_days", "有效天数（留空为长期）", "Valid for days (empty: no expiry)"},
	{"admin.token.revoke", "吊销", "Revoke"},
	{"admin.token.revoked", "令牌已吊销。", "The token was revoked."},
	{"admin.token.once", "请立即复制并妥善保存此令牌。它只显示这一次，之后无法再次查看。", "Copy this token now and keep it safe. It is shown only this once and cannot be shown again."},
	{"admin.token.for", "令牌“%s”，属于 %s", "Token “%s” of %s"},
	{"admin.token.back", "返回人员详情", "Back to the person"},
	{"admin.token.name_required", "请填写令牌名称（最多 100 字）。", "Name the token (at most 100 characters)."},
	{"admin.token.days_invalid", "有效天数须为 1 至 3650 的整数。", "Days must be a whole number from 1 to 3650."},

	// Rules.
	{"admin.rules.title", "预警规则", "Warning rules"},
	{"admin.rules.check_title", "规则检查", "Rules check"},
	{"admin.rules.diff_title", "规则变更模拟", "Rules what-if"},
	{"admin.rules.version", "版本", "Version"},
	{"admin.rules.file", "文件", "File"},
	{"admin.rules.builtin", "内置默认规则", "built-in default"},
	{"admin.rules.count", "规则数", "Rules"},
	{"admin.rules.loaded_at", "加载时间", "Loaded at"},
	{"admin.rules.last_error", "上次重新加载失败（原规则继续生效）", "The last reload failed (the rules above stayed in force)"},
	{"admin.rules.reload", "重新加载规则文件", "Reload the rules file"},
	{"admin.rules.reloaded", "规则已重新加载。", "The rules were reloaded."},
	{"admin.rules.reload_failed", "重新加载失败，原规则继续生效。", "The reload failed; the old rules stay in force."},
	{"admin.rules.list", "生效中的规则", "The rules in force"},
	{"admin.rules.try", "检查或模拟一个规则文件", "Check or try a rules file"},
	{"admin.rules.try_help", "上传或粘贴规则 YAML。“检查”与 gridwarn rules check 相同；“模拟”把近期事件按现行规则和该文件各判定一次，列出级别或层级会变化的事件（不写入任何数据）。",
		"Upload or paste a rules YAML. Check is `gridwarn rules check`; What-if decides the recent events under the rules in force and under the file and lists those whose level or tier would change (nothing is written)."},
	{"admin.rules.file_upload", "规则文件", "Rules file"},
	{"admin.rules.paste", "或粘贴 YAML", "or paste the YAML"},
	{"admin.rules.days", "模拟最近天数", "Replay the last days"},
	{"admin.rules.all", "列出所有事件（含未变化的）", "List every event, changed or not"},
	{"admin.rules.check", "检查", "Check"},
	{"admin.rules.diff", "模拟", "What-if"},
	{"admin.rules.empty", "请选择文件或粘贴规则内容。", "Choose a file or paste the rules."},
	{"admin.rules.too_large", "规则文件过大（最多 1 MB）。", "The rules file is too large (1 MB at most)."},
	{"admin.rules.days_invalid", "天数须为 1 至 365 的整数。", "Days must be a whole number from 1 to 365."},
	{"admin.rules.valid", "有效：版本 %s，%d 条规则，历史窗口 %d 天，评分叠加%s。", "Valid: version %s, %d rules, history %d days, score overlay %s."},
	{"admin.rules.on", "开启", "on"},
	{"admin.rules.off", "关闭", "off"},
	{"admin.rules.invalid", "文件有 %d 处问题，将被整体拒绝：", "The file has %d problem(s) and would be rejected as a whole:"},
	{"admin.rules.col.line", "行", "Line"},
	{"admin.rules.col.rule", "规则", "Rule"},
	{"admin.rules.col.problem", "问题", "Problem"},
	{"admin.rules.col.id", "规则编号", "Rule id"},
	{"admin.rules.col.category", "类别", "Category"},
	{"admin.rules.col.level", "级别", "Level"},
	{"admin.rules.col.label", "说明", "Label"},
	{"admin.rules.any", "任意", "any"},
	{"admin.rules.raise", "升级 +%d", "raise +%d"},
	{"admin.rules.fallback", "（兜底）", "(fallback)"},
	{"admin.rules.replayed", "按现行规则（%s）与该文件（%s）重放了最近 %d 天的 %d 个事件，其中 %d 个的级别或层级会变化。",
		"Replayed %[4]d event(s) of the last %[3]d days under the rules in force (%[1]s) and the file (%[2]s); %[5]d would change level or tier."},
	{"admin.rules.no_change", "没有事件的级别或层级会变化。", "No level or tier would change."},
	{"admin.rules.changes", "变化汇总", "Changes"},
	{"admin.rules.events", "事件", "Events"},
	{"admin.rules.col.event", "事件", "Event"},
	{"admin.rules.col.occurred", "发生时间", "Occurred"},
	{"admin.rules.col.enterprise", "企业", "Enterprise"},
	{"admin.rules.col.old", "现行", "In force"},
	{"admin.rules.col.new", "该文件", "The file"},
	{"admin.rules.col.fired", "触发的规则（该文件）", "Rules fired (the file)"},
	{"admin.rules.col.count", "事件数", "Events"},
	{"admin.rules.truncated", "只列出前 %d 个事件。", "Only the first %d events are listed."},
	{"admin.rules.unavailable", "模拟不可用。", "The what-if is not available."},
}
