package web

import (
	"fmt"

	"github.com/gridwarn/gridwarn/internal/summary"
)

// languages of the console; the first is the default.
var languages = []string{"zh", "en"}

// message is one entry of the catalogue: its key and its text in each
// language. Texts with arguments are fmt formats.
type message struct{ key, zh, en string }

// catalogue is the console's one message catalogue, language → key →
// text: the weekly summary's labels (levels, categories, statuses, tiers,
// metrics; internal/summary) and the console's own messages, one list per
// part of the console. A key defined twice is a bug caught at start.
var catalogue = buildCatalogue(commonMessages, reportMessages, workMessages, leaderMessages, adminMessages,
	errorMessages, ruleMessages, fieldLabels, creditCodeMessages, csvMessages, historyMessages, ticketsMessages, hotlineMessages,
	standingMessages, contactMessages)

func buildCatalogue(lists ...[]message) map[string]map[string]string {
	c := map[string]map[string]string{}
	for _, l := range languages {
		c[l] = summary.Labels(l)
	}
	for _, list := range lists {
		for _, m := range list {
			if _, dup := c["zh"][m.key]; dup {
				panic(fmt.Sprintf("web: message %q defined twice", m.key))
			}
			if m.zh == "" || m.en == "" {
				panic(fmt.Sprintf("web: message %q lacks a translation", m.key))
			}
			c["zh"][m.key], c["en"][m.key] = m.zh, m.en
		}
	}
	return c
}

// commonMessages are the layout's, the sign-in page's and the errors'.
var commonMessages = []message{
	{"app.name", "劳动争议预警", "Labor dispute early warning"},
	{"nav.home", "首页", "Home"},
	{"nav.report", "上报", "Report"},
	{"nav.my_reports", "我的上报", "My reports"},
	{"nav.queue", "工单队列", "Queue"},
	{"nav.tickets", "工单", "Tickets"},
	{"nav.dashboard", "总览", "Dashboard"},
	{"nav.summaries", "报告", "Reports"},
	{"nav.visits", "走访", "Visits"},
	{"nav.admin", "管理", "Administration"},
	{"nav.signout", "退出", "Sign out"},
	{"nav.lang", "English", "中文"},
	{"nav.signed_in_as", "当前用户：%s（%s）", "Signed in as %s (%s)"},
	{"role.grid_worker", "网格员", "grid worker"},
	{"role.reporter", "直报点", "report point"},
	{"role.mediator", "调解员", "mediator"},
	{"role.leader", "领导", "leader"},
	{"role.admin", "管理员", "administrator"},
	{"role.partner", "外部机构", "partner (receiving body)"},
	{"role.platform", "数据共享平台", "data-sharing platform"},

	{"login.title", "登录", "Sign in"},
	{"login.username", "用户名", "Username"},
	{"login.password", "密码", "Password"},
	{"login.submit", "登录", "Sign in"},
	{"login.failed", "用户名或密码错误。", "Wrong username or password."},
	{"login.locked", "登录失败次数过多，请稍后再试。", "Too many failed sign-ins; try again later."},
	{"login.expired", "登录表单已过期，请重试。", "The sign-in form expired; please try again."},
	{"login.signed_out", "已退出。", "Signed out."},

	{"error.title", "出错了", "Something went wrong"},
	{"error.back", "返回首页", "Back to the start"},
	{"error.invalid", "输入有误", "Invalid input"},
	{"error.unauthorized", "请先登录", "Please sign in"},
	{"error.forbidden", "无权访问", "Not allowed"},
	{"error.not_found", "未找到", "Not found"},
	{"error.conflict", "状态冲突", "Conflict"},
	{"error.too_large", "内容过大", "Too large"},
	{"error.too_many", "尝试次数过多", "Too many attempts"},
	{"error.unavailable", "服务暂不可用，请稍后再试", "Service unavailable; try again later"},
	{"error.unprocessable", "无法处理", "Cannot be processed"},
	{"error.precondition_failed", "工单已被他人修改", "Changed by someone else"},
	{"error.precondition_required", "缺少版本号", "Version missing"},
	{"error.internal", "内部错误", "Internal error"},

	{"time.left", "剩余 %s", "%s left"},
	{"time.overdue", "已超时 %s", "overdue %s"},
	{"time.dh", "%d 天 %d 小时", "%d d %d h"},
	{"time.hm", "%d 小时 %d 分", "%d h %d min"},
	{"time.m", "%d 分钟", "%d min"},

	{"form.submit", "提交", "Submit"},
	{"form.search", "搜索", "Search"},
	{"form.filter", "筛选", "Filter"},
	{"form.any", "全部", "Any"},
	{"form.yes", "是", "Yes"},
	{"form.no", "否", "No"},
	{"form.none", "无", "None"},
	{"form.more", "更多", "More"},
	{"form.saved", "已保存。", "Saved."},
}
