package summary

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The 12351 hotline's rows, from the fixture's figures (12 cases: 4
// consultations of which 3 answered on the call, 5 help, 2 complaints, 1
// suggestion; 8 ordinary, 3 difficult, 1 especially complex), in every
// renderer and both languages, in the weekly summary and the period
// reports.
func TestHotlineRows(t *testing.T) {
	want := map[string][][2]string{
		"zh": {{"受理总数", "12"}, {"咨询", "4"}, {"求助", "5"}, {"投诉", "2"}, {"法律援助", "0"}, {"建议", "1"},
			{"其中当场答复办结", "3"}, {"一般", "8"}, {"难点", "3"}, {"特别复杂", "1"}, {"待认定企业", "1"}, {"已转预警", "7"},
			{"已办结", "4"}, {"集体诉求（10人以上）", "2"}, {"上级平台派单", "3"}},
		"en": {{"Cases filed", "12"}, {"Consultation", "4"}, {"Help", "5"}, {"Complaint", "2"}, {"Legal aid", "0"}, {"Suggestion", "1"},
			{"of which answered on the call", "3"}, {"Ordinary", "8"}, {"Difficult", "3"}, {"Especially complex", "1"},
			{"Enterprise to identify", "1"}, {"Forwarded", "7"}, {"Closed", "4"},
			{"Collective (10 or more workers)", "2"}, {"From a city or province platform", "3"}},
	}
	s := fixture(t)
	period := periodFixture(t, gridwarn.PeriodQuarter, "2026-Q3")
	for _, lang := range Languages {
		rows := want[lang]
		// CSV: the section's title, its header, then a line per row.
		for name, out := range map[string][]byte{"weekly": render(t, "csv", s, lang), "period": periodCSV(t, period, lang)} {
			var lines []string
			for _, r := range rows {
				lines = append(lines, r[0]+","+r[1])
			}
			block := catalogue[lang]["section.hotline"] + "\n" + catalogue[lang]["col.item"] + "," + catalogue[lang]["col.cases"] + "\n" +
				strings.Join(lines, "\n") + "\n"
			if !strings.Contains(strings.ReplaceAll(string(out), "\r\n", "\n"), block) {
				t.Errorf("%s CSV (%s) lacks the hotline's rows:\n%s", name, lang, block)
			}
		}
		// HTML: a section with a row per figure.
		for name, out := range map[string][]byte{"weekly": render(t, "html", s, lang), "period": periodHTML(t, period, lang)} {
			page := string(out)
			if !strings.Contains(page, `<section id="hotline"`) {
				t.Fatalf("%s HTML (%s) has no hotline section", name, lang)
			}
			for _, r := range rows {
				if row := "<td>" + r[0] + `</td><td class="n">` + r[1] + "</td>"; !strings.Contains(page, row) {
					t.Errorf("%s HTML (%s) lacks %s", name, lang, row)
				}
			}
		}
		// XLSX: a sheet of its own, label and number per row.
		for name, out := range map[string][]byte{"weekly": render(t, "xlsx", s, lang), "period": periodXLSX(t, period, lang)} {
			f, err := excelize.OpenReader(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.GetRows(catalogue[lang]["sheet.hotline"])
			if err != nil {
				t.Fatalf("%s XLSX (%s): %v", name, lang, err)
			}
			var cells [][2]string
			for _, r := range got {
				if len(r) == 2 && r[0] != catalogue[lang]["col.item"] {
					cells = append(cells, [2]string{r[0], r[1]})
				}
			}
			if len(cells) != len(rows) {
				t.Errorf("%s XLSX (%s): rows %q, want %q", name, lang, cells, rows)
				continue
			}
			for i := range rows {
				if cells[i] != rows[i] {
					t.Errorf("%s XLSX (%s) row %d: %q, want %q", name, lang, i, cells[i], rows[i])
				}
			}
		}
	}
	// JSON: the figures themselves.
	var back gridwarn.WeeklySummary
	if err := json.Unmarshal(render(t, "json", s, "zh"), &back); err != nil || back.Hotline == nil ||
		back.Hotline.Total != 12 || back.Hotline.AnsweredOnCall != 3 || back.Hotline.ByClass[gridwarn.ClassDifficult] != 3 ||
		back.Hotline.ByIntakeType[gridwarn.IntakeHelp] != 5 {
		t.Errorf("JSON hotline: %+v (%v)", back.Hotline, err)
	}
	// A summary stored before the rows existed shows the section empty.
	s.Hotline = nil
	if page := string(render(t, "html", s, "zh")); !strings.Contains(page, `<section id="hotline"`) || strings.Contains(page, "受理总数") {
		t.Error("a summary without hotline figures: the section should be there, empty")
	}
}

func periodCSV(t *testing.T, r *gridwarn.PeriodReport, lang string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PeriodCSV(&b, r, lang); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func periodHTML(t *testing.T, r *gridwarn.PeriodReport, lang string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PeriodHTML(&b, r, lang); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func periodXLSX(t *testing.T, r *gridwarn.PeriodReport, lang string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PeriodXLSX(&b, r, lang); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
