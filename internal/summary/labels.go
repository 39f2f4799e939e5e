package summary

import (
	"maps"
	"strings"
)

// Languages are the languages of the catalogue; the first is the default.
var Languages = []string{"zh", "en"}

// Lang normalises a language tag to one of Languages: "en", "en-US",
// "en_GB" give "en"; anything else (including "" and "zh-CN") gives "zh".
func Lang(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_") {
		return "en"
	}
	return "zh"
}

// Labels returns a copy of the message catalogue of lang (see Lang). Keys:
//
//	level.<level>, level_short.<level>, tier.<tier>, category.<category>,
//	status.<status>, section.<section>, sheet.<section>, metric.<headline
//	json field>, col.<column>, dur.accept, dur.resolve, age.<backlog label
//	as built by the database, e.g. "age.< 1 day">, and a few free texts.
//
// Sections are report, headline, levels, categories, towns, time_limits,
// durations, backlog, riskiest, red, trend.
func Labels(lang string) map[string]string {
	return maps.Clone(catalogue[Lang(lang)])
}

// label looks a key up, falling back to the part after the first dot (a
// code the catalogue does not know is shown as is).
func label(l map[string]string, key string) string {
	if s, ok := l[key]; ok {
		return s
	}
	if _, after, ok := strings.Cut(key, "."); ok {
		return after
	}
	return key
}

var catalogue = map[string]map[string]string{
	"zh": {
		"title":            "劳动关系风险周报",
		"unit":             "单位",
		"unit_code":        "单位代码",
		"week":             "周次",
		"period":           "统计时段",
		"to":               "至",
		"time_zone":        "时区",
		"built_at":         "生成时间",
		"revision":         "版本",
		"rules_note":       "规则说明",
		"prev":             "上周",
		"unchanged":        "持平",
		"no_events":        "本周无事件",
		"no_data":          "无数据",
		"none":             "无",
		"heat_note":        "颜色越深，数量越多",
		"chart.trend":      "近八周各等级事件数",
		"chart.categories": "本周各类别事件数",

		"level.blue":         "蓝 关注",
		"level.yellow":       "黄 预警",
		"level.orange":       "橙 严重",
		"level.red":          "红 紧急",
		"level_short.blue":   "蓝",
		"level_short.yellow": "黄",
		"level_short.orange": "橙",
		"level_short.red":    "红",

		"tier.enterprise": "企业",
		"tier.town":       "镇",
		"tier.county":     "县",

		"category.wage_arrears":             "拖欠工资",
		"category.social_insurance_arrears": "欠缴社保/公积金",
		"category.layoff":                   "裁员",
		"category.closure_relocation":       "停产/关闭/搬迁",
		"category.owner_absconded":          "经营者逃匿",
		"category.financial_distress":       "经营困难",
		"category.overtime_rest":            "超时加班",
		"category.pay_terms":                "工资标准/降薪",
		"category.contract":                 "劳动合同",
		"category.severance":                "经济补偿",
		"category.pension":                  "养老待遇",
		"category.safety_injury":            "安全/工伤",
		"category.collective_action":        "群体性事件",
		"category.online_sentiment":         "网络舆情",
		"category.management_conduct":       "管理方式",
		"category.union_consultation":       "工会/集体协商",
		"category.other":                    "其他",

		"status.new":         "新建",
		"status.dispatched":  "已派单",
		"status.accepted":    "已签收",
		"status.in_progress": "处置中",
		"status.replied":     "已回单",
		"status.reviewed":    "已审核",
		"status.closed":      "已办结",
		"status.referred":    "已移交",
		"status.merged":      "已合并",

		"section.report":      "报告信息",
		"section.headline":    "本周概况",
		"section.levels":      "按预警等级",
		"section.categories":  "按类别",
		"section.towns":       "各镇对比",
		"section.time_limits": "时限达标率",
		"section.durations":   "签收/办结用时",
		"section.backlog":     "积压工单",
		"section.riskiest":    "风险最高的十家企业",
		"section.red":         "红色预警工单",
		"section.trend":       "近八周趋势",

		"sheet.headline":    "概况",
		"sheet.levels":      "等级",
		"sheet.categories":  "类别",
		"sheet.towns":       "各镇",
		"sheet.time_limits": "时限",
		"sheet.durations":   "用时",
		"sheet.backlog":     "积压",
		"sheet.riskiest":    "高风险企业",
		"sheet.red":         "红色工单",
		"sheet.trend":       "趋势",

		"metric.events":              "事件数",
		"metric.new_tickets":         "新增工单",
		"metric.escalated":           "上提工单",
		"metric.closed":              "办结工单",
		"metric.overdue":             "逾期工单",
		"metric.money_recovered_cny": "追回金额（元）",
		"metric.workers_covered":     "惠及职工（人）",
		"metric.call_backs":          "回访数",
		"metric.satisfied":           "满意数",
		"metric.satisfaction_pct":    "满意率（%）",

		"col.item":        "项目",
		"col.value":       "内容",
		"col.metric":      "指标",
		"col.this_week":   "本周",
		"col.prev_week":   "上周",
		"col.change":      "变化",
		"col.level":       "等级",
		"col.category":    "类别",
		"col.events":      "事件数",
		"col.share":       "占比（%）",
		"col.town_code":   "镇代码",
		"col.town":        "镇/街道",
		"col.tier":        "层级",
		"col.ended":       "结束时钟数",
		"col.met":         "按时数",
		"col.met_pct":     "达标率（%）",
		"col.stage":       "环节",
		"col.tickets":     "工单数",
		"col.p50":         "中位数（小时）",
		"col.p90":         "90%分位（小时）",
		"col.age":         "已开时长",
		"col.rank":        "序号",
		"col.credit_code": "统一社会信用代码",
		"col.enterprise":  "企业名称",
		"col.score":       "风险分",
		"col.week_events": "本周事件",
		"col.trend":       "较上周",
		"col.ticket":      "工单号",
		"col.status":      "状态",
		"col.rules":       "触发规则",
		"col.week":        "周",
		"col.total":       "合计",

		"dur.accept":  "签收用时",
		"dur.resolve": "办结用时",

		"age.< 1 day":    "不足1天",
		"age.1–7 days":   "1–7天",
		"age.7–15 days":  "7–15天",
		"age.15–30 days": "15–30天",
		"age.> 30 days":  "30天以上",
	},
	"en": {
		"title":            "Weekly labor-dispute risk summary",
		"unit":             "Unit",
		"unit_code":        "Unit code",
		"week":             "Week",
		"period":           "Period",
		"to":               "to",
		"time_zone":        "Time zone",
		"built_at":         "Built at",
		"revision":         "Revision",
		"rules_note":       "Rules",
		"prev":             "last week",
		"unchanged":        "unchanged",
		"no_events":        "No events this week",
		"no_data":          "No data",
		"none":             "None",
		"heat_note":        "Darker means more",
		"chart.trend":      "Events by level, last eight weeks",
		"chart.categories": "Events by category this week",

		"level.blue":         "Blue (watch)",
		"level.yellow":       "Yellow (warning)",
		"level.orange":       "Orange (serious)",
		"level.red":          "Red (emergency)",
		"level_short.blue":   "Blue",
		"level_short.yellow": "Yellow",
		"level_short.orange": "Orange",
		"level_short.red":    "Red",

		"tier.enterprise": "Enterprise",
		"tier.town":       "Town",
		"tier.county":     "County",

		"category.wage_arrears":             "Wage arrears",
		"category.social_insurance_arrears": "Social insurance arrears",
		"category.layoff":                   "Layoff",
		"category.closure_relocation":       "Closure / relocation",
		"category.owner_absconded":          "Owner absconded",
		"category.financial_distress":       "Financial distress",
		"category.overtime_rest":            "Overtime / rest days",
		"category.pay_terms":                "Pay terms / pay cut",
		"category.contract":                 "Labor contract",
		"category.severance":                "Severance",
		"category.pension":                  "Pension",
		"category.safety_injury":            "Safety / injury",
		"category.collective_action":        "Collective action",
		"category.online_sentiment":         "Online sentiment",
		"category.management_conduct":       "Management conduct",
		"category.union_consultation":       "Union / collective bargaining",
		"category.other":                    "Other",

		"status.new":         "New",
		"status.dispatched":  "Dispatched",
		"status.accepted":    "Accepted",
		"status.in_progress": "In progress",
		"status.replied":     "Replied",
		"status.reviewed":    "Reviewed",
		"status.closed":      "Closed",
		"status.referred":    "Referred",
		"status.merged":      "Merged",

		"section.report":      "Report",
		"section.headline":    "This week",
		"section.levels":      "By warning level",
		"section.categories":  "By category",
		"section.towns":       "Towns compared",
		"section.time_limits": "Time limits met",
		"section.durations":   "Time to accept / resolve",
		"section.backlog":     "Backlog",
		"section.riskiest":    "Ten riskiest enterprises",
		"section.red":         "Red tickets",
		"section.trend":       "Last eight weeks",

		"sheet.headline":    "Headline",
		"sheet.levels":      "Levels",
		"sheet.categories":  "Categories",
		"sheet.towns":       "Towns",
		"sheet.time_limits": "Time limits",
		"sheet.durations":   "Durations",
		"sheet.backlog":     "Backlog",
		"sheet.riskiest":    "Riskiest",
		"sheet.red":         "Red",
		"sheet.trend":       "Trend",

		"metric.events":              "Events",
		"metric.new_tickets":         "New tickets",
		"metric.escalated":           "Escalated",
		"metric.closed":              "Closed",
		"metric.overdue":             "Overdue",
		"metric.money_recovered_cny": "Money recovered (CNY)",
		"metric.workers_covered":     "Workers covered",
		"metric.call_backs":          "Call-backs",
		"metric.satisfied":           "Satisfied",
		"metric.satisfaction_pct":    "Satisfaction (%)",

		"col.item":        "Item",
		"col.value":       "Value",
		"col.metric":      "Metric",
		"col.this_week":   "This week",
		"col.prev_week":   "Last week",
		"col.change":      "Change",
		"col.level":       "Level",
		"col.category":    "Category",
		"col.events":      "Events",
		"col.share":       "Share (%)",
		"col.town_code":   "Town code",
		"col.town":        "Town",
		"col.tier":        "Tier",
		"col.ended":       "Clocks ended",
		"col.met":         "Met",
		"col.met_pct":     "Met (%)",
		"col.stage":       "Stage",
		"col.tickets":     "Tickets",
		"col.p50":         "Median (h)",
		"col.p90":         "90th percentile (h)",
		"col.age":         "Age",
		"col.rank":        "#",
		"col.credit_code": "Credit code",
		"col.enterprise":  "Enterprise",
		"col.score":       "Score",
		"col.week_events": "Events this week",
		"col.trend":       "vs last week",
		"col.ticket":      "Ticket",
		"col.status":      "Status",
		"col.rules":       "Rules fired",
		"col.week":        "Week",
		"col.total":       "Total",

		"dur.accept":  "Time to accept",
		"dur.resolve": "Time to resolve",

		"age.< 1 day":    "< 1 day",
		"age.1–7 days":   "1–7 days",
		"age.7–15 days":  "7–15 days",
		"age.15–30 days": "15–30 days",
		"age.> 30 days":  "> 30 days",
	},
}
