package summary

import (
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/formula"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// XLSX writes s as an Excel workbook with one sheet per section of
// Sections, named from the catalogue (sheet.<section>: 概况, 等级, … or
// Headline, Levels, …). Every sheet starts with a bold header row in row 1
// and its rows below; numbers are stored as numbers (money with two
// decimals, percentages and hours with one). The Headline sheet also
// carries the report information under its table. lang is "zh" (default)
// or "en".
func XLSX(w io.Writer, s *gridwarn.WeeklySummary, lang string) (err error) {
	if s == nil {
		return errNil
	}
	v := newView(s, lang)
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	for i, t := range v.tables() {
		name := v.l["sheet."+t.key]
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", name, err)
		}
		widths := make([]int, len(t.header))
		row, err := st.write(f, name, 1, t, widths)
		if err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", name, err)
		}
		if t.key == "headline" {
			if _, err := st.write(f, name, row+1, v.reportTable(), widths); err != nil {
				return fmt.Errorf("xlsx: sheet %s: %w", name, err)
			}
		}
		for c, wd := range widths {
			col, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(name, col, col, float64(min(max(wd, 6), 60)+2)); err != nil {
				return err
			}
		}
		if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	props := &excelize.DocProperties{Title: v.title(), Language: map[string]string{"zh": "zh-CN", "en": "en"}[v.lang],
		Creator: "gridwarn", Revision: fmt.Sprint(s.Revision)}
	if !s.BuiltAt.IsZero() {
		props.Created = s.BuiltAt.UTC().Format(time.RFC3339)
		props.Modified = props.Created
	}
	if err := f.SetDocProps(props); err != nil {
		return err
	}
	return f.Write(w)
}

type xlsxStyles struct {
	header int
	dec    map[int]int // decimals → style of the number cells
}

func newXLSXStyles(f *excelize.File) (*xlsxStyles, error) {
	st := &xlsxStyles{dec: map[int]int{}}
	var err error
	if st.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDF2F7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return nil, err
	}
	one := "0.0"
	// In a fixed order, so the workbook's bytes are stable.
	for dec, s := range []*excelize.Style{
		{NumFmt: 1},          // 0
		{CustomNumFmt: &one}, // 0.0
		{NumFmt: 4},          // #,##0.00
	} {
		if st.dec[dec], err = f.NewStyle(s); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// write puts t's header (bold) at row and its rows below; it returns the
// row after the last and widens widths to the longest text per column.
func (st *xlsxStyles) write(f *excelize.File, sheet string, row int, t table, widths []int) (int, error) {
	hdr := make([]any, len(t.header))
	for i, h := range t.header {
		hdr[i] = h
		grow(widths, i, h)
	}
	first, _ := excelize.CoordinatesToCellName(1, row)
	last, _ := excelize.CoordinatesToCellName(max(len(hdr), 1), row)
	if err := f.SetSheetRow(sheet, first, &hdr); err != nil {
		return 0, err
	}
	if err := f.SetCellStyle(sheet, first, last, st.header); err != nil {
		return 0, err
	}
	for _, r := range t.rows {
		row++
		for c, v := range r {
			ref, _ := excelize.CoordinatesToCellName(c+1, row)
			var err error
			switch {
			case !v.num:
				err = f.SetCellStr(sheet, ref, formula.Defuse(v.s))
			case v.dec == 0:
				err = f.SetCellInt(sheet, ref, int64(v.n))
			default:
				err = f.SetCellFloat(sheet, ref, v.n, -1, 64)
			}
			if err == nil && v.num {
				err = f.SetCellStyle(sheet, ref, ref, st.dec[min(v.dec, 2)])
			}
			if err != nil {
				return 0, err
			}
			grow(widths, c, v.pretty())
		}
	}
	return row + 1, nil
}

// grow widens column c to fit s (East Asian characters count double).
func grow(widths []int, c int, s string) {
	if c >= len(widths) {
		return
	}
	n := 0
	for _, r := range s {
		n++
		if r >= 0x1100 && utf8.RuneLen(r) >= 3 {
			n++
		}
	}
	widths[c] = max(widths[c], n)
}
