package summary

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/gridwarn/gridwarn/internal/formula"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// CircularCSV writes a unionization circular as UTF-8 CSV with a BOM and
// CRLF line ends, Chinese headers: one line per town and the totals, an
// empty line, then the list at the month's end. Text a spreadsheet would
// take for a formula is defused (package formula).
func CircularCSV(w io.Writer, c *gridwarn.UnionCircular) error {
	if c == nil {
		return errNil
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	write := func(rec ...string) {
		for i := range rec {
			rec[i] = formula.Defuse(rec[i])
		}
		_ = cw.Write(rec)
	}
	n := strconv.Itoa
	title := "建会工作月通报"
	if strings.Contains(c.Period, "Q") {
		title = "建会工作季度总结"
	}
	write(title, c.UnitName, c.UnitCode, c.Period, "第"+n(c.Revision)+"版")
	write("单位代码", "单位", "应建未建", "新列入", "新建会", "年初清单", "年内已建会", "完成率", "目标")
	line := func(t gridwarn.CircularTown) {
		progress := "—"
		if t.Progress != nil {
			progress = strconv.FormatFloat(*t.Progress*100, 'f', 1, 64) + "%"
		}
		write(t.UnitCode, t.UnitName, n(t.Listed), n(t.NewlyListed), n(t.NewlyUnionized), n(t.YearList), n(t.YearDone),
			progress, strconv.FormatFloat(t.Target*100, 'f', 0, 64)+"%")
	}
	for _, t := range c.Towns {
		line(t)
	}
	line(c.Totals)
	write()
	write("统一社会信用代码", "企业名称", "镇街代码", "网格编码", "职工人数", "开业日期", "所属联合工会", "列入原因", "百人以上", "列入起始月")
	reason := map[gridwarn.UnionizationReason]string{gridwarn.ReasonNoUnion: "满一年25人以上未建会",
		gridwarn.ReasonJointMember: "联合工会会员单位已达25人"}
	for _, it := range c.Items {
		hundred := "否"
		if it.HundredPlus {
			hundred = "是"
		}
		write(it.CreditCode, it.Name, it.TownCode, it.GridCode, n(it.Headcount), it.OpenedOn, it.JointUnion,
			reason[it.Reason], hundred, it.ListedSince)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
