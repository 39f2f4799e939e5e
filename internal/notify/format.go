package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Chinese labels of topics and of the payload's values.
var (
	topicZH = map[string]string{
		gridwarn.TopicTicketOpened:         "新预警工单",
		gridwarn.TopicLevelRaised:          "预警等级上调",
		gridwarn.TopicTierChanged:          "工单移交上级",
		gridwarn.TopicReminder:             "处置时限提醒",
		gridwarn.TopicBreach:               "处置超时",
		gridwarn.TopicReturned:             "工单退回",
		gridwarn.TopicReopened:             "工单重新办理",
		gridwarn.TopicReferralUpdate:       "移交机构反馈",
		gridwarn.TopicSummaryWeekly:        "每周预警汇总",
		gridwarn.TopicCircularUnionization: "建会工作月通报",
		gridwarn.TopicSummaryPeriod:        "月度推送与季度研判",
	}
	levelZH = map[string]string{"blue": "蓝色（关注）", "yellow": "黄色（预警）", "orange": "橙色（严重）", "red": "红色（紧急）"}
	tierZH  = map[string]string{"enterprise": "企业（网格）", "town": "镇（街道）", "county": "县（区）"}
	clockZH = map[string]string{"accept": "受理", "contact": "联系见面", "resolve": "化解办结"}
	catZH   = map[string]string{
		"wage_arrears": "拖欠工资", "social_insurance_arrears": "欠缴社保", "layoff": "裁员",
		"closure_relocation": "停业搬迁", "owner_absconded": "经营者失联", "financial_distress": "经营困难",
		"overtime_rest": "加班与休息休假", "pay_terms": "工资待遇", "contract": "劳动合同",
		"severance": "经济补偿", "pension": "养老保险", "safety_injury": "安全与工伤",
		"collective_action": "群体性事件", "online_sentiment": "网络舆情", "management_conduct": "管理行为",
		"union_consultation": "工会协商", "other": "其他",
	}
)

// Size limits of the robots' markdown.
const (
	weComMaxContent  = 4096  // bytes
	dingTalkMaxText  = 18000 // bytes
	dingTalkMaxTitle = 200   // bytes
)

// card is a notification as a title and labelled lines.
type card struct {
	title   string // e.g. 新预警工单
	level   string // the ticket's level code, for colour
	subject string // the enterprise's name (or credit code), or the summary's unit
	fields  [][2]string
	link    string
}

// summarize reads the keys of gridwarn.TicketPayload and
// gridwarn.SummaryPayload that the payload has; other keys are left to the
// json format.
func summarize(env Envelope, loc *time.Location) card {
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(env.Payload))
	dec.UseNumber()
	_ = dec.Decode(&p) // a payload that is not an object shows only the topic

	c := card{title: label(topicZH, env.Topic), level: str(p, "level"), link: str(p, "url")}
	add := func(k, v string) {
		if v != "" {
			c.fields = append(c.fields, [2]string{k, v})
		}
	}
	if id := str(p, "ticket_id"); id != "" {
		add("工单", "#"+id)
	}
	name, code := str(p, "enterprise_name"), str(p, "enterprise")
	switch {
	case name != "" && code != "":
		add("企业", name+"（"+code+"）")
	default:
		add("企业", name+code)
	}
	c.subject = name
	if c.subject == "" {
		c.subject = code
	}
	add("类别", label(catZH, str(p, "category")))
	add("等级", change(levelZH, str(p, "from_level"), c.level))
	add("层级", change(tierZH, str(p, "from_tier"), str(p, "tier")))
	add("环节", label(clockZH, str(p, "clock")))
	add("时限", when(str(p, "due_at"), loc, "2006-01-02 15:04"))
	unit := str(p, "unit_name")
	if unit == "" {
		unit = str(p, "unit_code")
	}
	if env.Topic == gridwarn.TopicCircularUnionization {
		add("范围", unit)
		c.subject = unit
		add("周期", str(p, "period"))
		var counts []string
		for _, k := range [][2]string{{"listed", "应建未建"}, {"newly_listed", "新列入"}, {"newly_unionized", "新建会"}} {
			if v := str(p, k[0]); v != "" {
				counts = append(counts, k[1]+" "+v)
			}
		}
		add("企业", strings.Join(counts, "，"))
		return c
	}
	if env.Topic == gridwarn.TopicSummaryPeriod {
		if str(p, "kind") == string(gridwarn.PeriodQuarter) {
			c.title = "季度研判"
		} else {
			c.title = "月度推送"
		}
		add("范围", unit)
		c.subject = unit
		add("周期", str(p, "period"))
		add("事件", str(p, "events"))
		var counts []string
		for _, k := range [][2]string{{"opened", "新增"}, {"closed", "办结"}, {"red", "红色"}} {
			if v := str(p, k[0]); v != "" {
				counts = append(counts, k[1]+" "+v)
			}
		}
		add("工单", strings.Join(counts, "，"))
		return c
	}
	if env.Topic == gridwarn.TopicSummaryWeekly {
		add("范围", unit)
		c.subject = unit
		from, to := when(str(p, "period_start"), loc, "2006-01-02"), when(str(p, "period_end"), loc, "2006-01-02")
		period := ""
		if from != "" || to != "" {
			period = from + " 至 " + to
		}
		if w := str(p, "week"); w != "" {
			period = strings.TrimSpace(period + "（" + w + "）")
		}
		add("周期", period)
		if n := str(p, "events"); n != "" {
			add("事件", n)
		}
		var counts []string
		for _, k := range [][2]string{{"opened", "新增"}, {"closed", "办结"}, {"open", "在办"}, {"red", "红色"}, {"overdue", "超时"}} {
			if v := str(p, k[0]); v != "" {
				counts = append(counts, k[1]+" "+v)
			}
		}
		add("工单", strings.Join(counts, "，"))
	} else {
		add("承办", unit)
	}
	add("说明", str(p, "note"))
	return c
}

func label(m map[string]string, code string) string {
	if l, ok := m[code]; ok {
		return l
	}
	return code
}

func change(m map[string]string, from, to string) string {
	switch {
	case to == "":
		return label(m, from)
	case from == "" || from == to:
		return label(m, to)
	default:
		return label(m, from) + " → " + label(m, to)
	}
}

func when(s string, loc *time.Location, layout string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(loc).Format(layout)
}

// str returns p[k] as text: strings as they are, numbers and booleans
// printed, anything else "".
func str(p map[string]any, k string) string {
	switch v := p[k].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	default:
		return ""
	}
}

func (c card) headline() string {
	h := "劳动纠纷预警 · " + c.title
	if l, ok := levelZH[c.level]; ok && c.title != topicZH[gridwarn.TopicSummaryWeekly] {
		h = "【" + strings.SplitN(l, "（", 2)[0] + "】" + h
	}
	return h
}

// WeComBody is a WeCom group robot's markdown message for env.
func WeComBody(env Envelope, loc *time.Location) ([]byte, error) {
	c := summarize(env, loc)
	var b strings.Builder
	b.WriteString("### " + c.headline() + "\n")
	for _, f := range c.fields {
		v := f[1]
		if f[0] == "等级" && (c.level == "red" || c.level == "orange") {
			v = `<font color="warning">` + v + `</font>`
		}
		b.WriteString("> " + f[0] + "：" + v + "\n")
	}
	if c.link != "" {
		b.WriteString("\n[查看详情](" + c.link + ")\n")
	}
	content := truncate(strings.TrimSuffix(b.String(), "\n"), weComMaxContent-len("…"))
	return marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}})
}

// DingTalkBody is a DingTalk group robot's markdown message for env.
func DingTalkBody(env Envelope, loc *time.Location) ([]byte, error) {
	c := summarize(env, loc)
	// The title is what the chat list shows: the headline and who it is about.
	title := c.headline()
	if c.subject != "" {
		title += " " + c.subject
	}
	var b strings.Builder
	b.WriteString("#### " + c.headline() + "\n\n")
	for _, f := range c.fields {
		b.WriteString("- " + f[0] + "：" + f[1] + "\n")
	}
	if c.link != "" {
		b.WriteString("\n[查看详情](" + c.link + ")\n")
	}
	text := truncate(strings.TrimSuffix(b.String(), "\n"), dingTalkMaxText)
	return marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{
		"title": truncate(title, dingTalkMaxTitle), "text": text,
	}})
}
