package summary

import (
	"bufio"
	"encoding/csv"
	"io"

	"github.com/gridwarn/gridwarn/internal/formula"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// BOM is the UTF-8 byte order mark CSV starts with, so that Excel reads it
// as UTF-8.
const BOM = "\uFEFF"

// CSV writes s as UTF-8 CSV with a BOM and CRLF line ends: the report
// information, then every section of Sections, one after another, each as
// a title row (one field), a header row and its rows, followed by an empty
// line. Numbers are plain (no thousands separators, "." for decimals); the
// headline's change column is this week minus last week. Text that a
// spreadsheet would take for a formula (starting with = + - @ or a tab)
// is prefixed with an apostrophe. lang is "zh" (default) or "en".
func CSV(w io.Writer, s *gridwarn.WeeklySummary, lang string) error {
	if s == nil {
		return errNil
	}
	v := newView(s, lang)
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	for _, t := range append([]table{v.reportTable()}, v.tables()...) {
		_ = cw.Write([]string{v.l["section."+t.key]})
		_ = cw.Write(t.header)
		for _, r := range t.rows {
			rec := make([]string, len(r))
			for i, c := range r {
				rec[i] = c.plain()
				if !c.num {
					rec[i] = formula.Defuse(rec[i])
				}
			}
			_ = cw.Write(rec)
		}
		_ = cw.Write(nil)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
