package csvio

import (
	"io"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The columns of a contacts file ("1+x"): one line per worker in
// difficulty a person follows; a person who follows none has one line with
// the worker's cells empty. All lines of a person name the same
// enterprise, and the lines of a person are that person's whole
// assignment.
const (
	cUsername = iota
	cCreditCode
	cWorker
	cDifficulty
	cSince
	cNote
)

var contactSchema = newSchema("contacts", -1, []column{
	cUsername:   {"username", "用户名", true},
	cCreditCode: {"credit_code", "统一社会信用代码", true},
	cWorker:     {"worker", "困难职工编号", false},
	cDifficulty: {"difficulty", "困难类型", false},
	cSince:      {"since", "困难起始日期", false},
	cNote:       {"note", "备注", false},
})

var parseDifficulty = enum(gridwarn.Difficulties, map[string]gridwarn.Difficulty{
	"因病":   gridwarn.DifficultyIllness,
	"因残":   gridwarn.DifficultyDisability,
	"失业":   gridwarn.DifficultyJobLoss,
	"下岗":   gridwarn.DifficultyJobLoss,
	"欠薪":   gridwarn.DifficultyWageArrears,
	"工伤":   gridwarn.DifficultyInjury,
	"意外":   gridwarn.DifficultyInjury,
	"子女就学": gridwarn.DifficultySchooling,
	"因学":   gridwarn.DifficultySchooling,
	"因灾":   gridwarn.DifficultyDisaster,
	"其他":   gridwarn.DifficultyOther,
	"其它":   gridwarn.DifficultyOther,
})

// parseLabel reads a worker's label: the hardship file's number or a tag,
// never a name (gridwarn.ValidateContactWorkers says the rule).
func parseLabel(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if !gridwarn.ContactLabelOK(s) {
		return "", problem("contact_label", "must be the hardship file's number or a tag of at most %d letters, digits and . _ - / # (never a name)",
			gridwarn.MaxContactLabel)
	}
	return s, nil
}

// ReadContacts parses a contacts file into one row per person, in the
// order of their first lines.
func ReadContacts(r io.Reader) ([]gridwarn.ContactRow, error) {
	var out []gridwarn.ContactRow
	at := map[string]int{}                // username → its row in out
	labels := map[string]map[string]int{} // username → label → line
	_, err := read(r, contactSchema, func(rw *row) struct{} {
		name := field(rw, cUsername, parseUsername)
		code := field(rw, cCreditCode, parseCreditCode)
		label := field(rw, cWorker, parseLabel)
		w := gridwarn.ContactWorker{
			Label:      label,
			Difficulty: field(rw, cDifficulty, parseDifficulty),
			Since:      field(rw, cSince, parseDate),
			Note:       field(rw, cNote, parseText(gridwarn.MaxContactNote)),
		}
		if label == "" && rw.ok(cWorker) && (w.Difficulty != "" || w.Since != "" || w.Note != "") {
			rw.fail(cWorker, problem("contact_worker_required", "is required when a difficulty, a day or a note is given"))
		}
		if label != "" && w.Difficulty == "" && rw.ok(cDifficulty) {
			rw.fail(cDifficulty, problem("required", "is required"))
		}
		if name == "" || !rw.ok(cUsername) {
			return struct{}{}
		}
		i, seen := at[name]
		if !seen {
			i = len(out)
			at[name] = i
			labels[name] = map[string]int{}
			out = append(out, gridwarn.ContactRow{Line: rw.line, Person: name, Enterprise: code, Workers: []gridwarn.ContactWorker{}})
		} else if rw.ok(cCreditCode) && code != out[i].Enterprise {
			rw.fail(cCreditCode, problem("contact_one_enterprise", "differs from line %d: a person is linked to one enterprise", out[i].Line))
		}
		if label != "" {
			if first, dup := labels[name][label]; dup {
				rw.fail(cWorker, problem("duplicate", "duplicate: line %d has the same %s", first, "worker"))
			} else {
				labels[name][label] = rw.line
				out[i].Workers = append(out[i].Workers, w)
			}
		}
		return struct{}{}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteContacts writes a contacts file with English headers, which
// ReadContacts reads back to the same rows.
func WriteContacts(w io.Writer, rows []gridwarn.ContactRow) error {
	type line struct {
		r *gridwarn.ContactRow
		w *gridwarn.ContactWorker
	}
	var lines []line
	for i := range rows {
		if len(rows[i].Workers) == 0 {
			lines = append(lines, line{r: &rows[i]})
		}
		for j := range rows[i].Workers {
			lines = append(lines, line{r: &rows[i], w: &rows[i].Workers[j]})
		}
	}
	return write(w, contactSchema, len(lines), func(i int, rec []string) {
		l := lines[i]
		rec[cUsername], rec[cCreditCode] = l.r.Person, l.r.Enterprise
		if l.w != nil {
			rec[cWorker], rec[cDifficulty], rec[cSince], rec[cNote] = l.w.Label, string(l.w.Difficulty), l.w.Since, l.w.Note
		}
	})
}
