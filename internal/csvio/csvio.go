package csvio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gridwarn/gridwarn/internal/formula"
)

// BOM is the UTF-8 byte order mark. Read skips it; Write does not write it.
// Excel opens a UTF-8 CSV file correctly only when it starts with one, so
// a download meant for Excel should write BOM before calling Write.
const BOM = "\uFEFF"

// RowError is one problem in an input file.
type RowError struct {
	// Line is the line of the file where the record starts; the header
	// is line 1.
	Line int `json:"line"`
	// Column is the column's header as written in the file (its English
	// name when the file lacks the column); empty for a problem with the
	// whole record.
	Column string `json:"column"`
	// Value is the offending value, trimmed and cut to 100 characters.
	Value  string `json:"value"`
	Reason string `json:"reason"`
	// Problem is Reason for a program: its code and arguments (Reason is
	// its English text).
	Problem *Problem `json:"-"`
}

// rowError is a RowError whose reason is p.
func rowError(line int, column, value string, p *Problem) RowError {
	return RowError{Line: line, Column: column, Value: value, Reason: p.Error(), Problem: p}
}

func (e RowError) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, " (%q)", clip(e.Value, 40))
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Errors lists every problem found in an input file, in file order. The
// Read functions return it for any fault of the file's content (encoding,
// CSV syntax, header, values); any other error they return comes from the
// io.Reader.
type Errors []RowError

// maxListed is how many problems Errors.Error spells out.
const maxListed = 20

func (es Errors) Error() string {
	if len(es) == 0 {
		return "no errors"
	}
	var b strings.Builder
	for i, e := range es {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(es)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.String())
	}
	return b.String()
}

// column is one column of a file kind.
type column struct {
	name     string // English header, the one Write uses
	zh       string // Chinese header
	required bool   // the header must have it and every record a value
}

// schema describes one kind of file.
type schema struct {
	kind   string // "enterprises", for messages
	cols   []column
	key    int            // the column that identifies a record (-1: none, the parser checks)
	lookup map[string]int // lower-cased English and Chinese header → column
}

func newSchema(kind string, key int, cols []column) *schema {
	s := &schema{kind: kind, cols: cols, key: key, lookup: make(map[string]int, 2*len(cols))}
	for i, c := range cols {
		s.lookup[strings.ToLower(c.name)] = i
		s.lookup[strings.ToLower(c.zh)] = i
	}
	return s
}

func (s *schema) names() []string {
	out := make([]string, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.name
	}
	return out
}

// row is one record being parsed. Each cell gets at most one error: the
// first problem found with it.
type row struct {
	line   int
	vals   []string // by column; "" when the file lacks the column
	names  []string // the header of each column, for messages
	failed []bool
	bad    bool
	errs   *Errors
}

func (rw *row) fail(c int, p *Problem) {
	if rw.failed[c] {
		return
	}
	rw.failed[c] = true
	rw.bad = true
	*rw.errs = append(*rw.errs, rowError(rw.line, rw.names[c], clip(rw.vals[c], 100), p))
}

// asProblem is err as a Problem: itself, or a Problem that wraps it.
func asProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return &Problem{Err: err, text: err.Error()}
}

// ok reports whether column c has no error yet.
func (rw *row) ok(c int) bool { return !rw.failed[c] }

// field parses column c, records an error if parse fails and returns the
// parsed value (the zero value on error).
func field[T any](rw *row, c int, parse func(string) (T, error)) T {
	v, err := parse(rw.vals[c])
	if err != nil {
		rw.fail(c, asProblem(err))
		var zero T
		return zero
	}
	return v
}

// read parses a whole file of kind s, calling parse for every non-blank
// record. It returns the parsed records, or Errors listing every problem.
func read[T any](r io.Reader, s *schema, parse func(*row) T) ([]T, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("csvio: read %s: %w", s.kind, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte(BOM)):
		_, _ = br.Discard(len(BOM))
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, Errors{rowError(1, "", "", problem("utf16", `the file is UTF-16; save it as "CSV UTF-8"`))}
	}

	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, Errors{rowError(1, "", "", problem("empty", "the file is empty; its first line must be the header"))}
	}
	if err != nil {
		return nil, readError(s, err)
	}
	headerLine, _ := cr.FieldPos(0)
	idx, names, errs := parseHeader(s, rec, headerLine)
	if len(errs) > 0 {
		return nil, errs
	}
	nfields := len(rec)

	var out []T
	seen := make(map[string]int) // key → line of its first record
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, readError(s, err)
			}
			errs = append(errs, syntaxError(pe))
			break
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if len(rec) != nfields {
			errs = append(errs, rowError(line, "", "", problem("field_count", "has %d fields, the header has %d", len(rec), nfields)))
			continue
		}
		rw := &row{
			line:   line,
			vals:   make([]string, len(s.cols)),
			names:  names,
			failed: make([]bool, len(s.cols)),
			errs:   &errs,
		}
		for c, i := range idx {
			if i < 0 {
				continue
			}
			rw.vals[c] = strings.TrimSpace(rec[i])
			if !utf8.ValidString(rw.vals[c]) {
				// A file in another encoding (GBK): one message for the
				// file, not one per cell of every line.
				return nil, Errors{rowError(line, "", "", notUTF8())}
			}
		}
		for c, col := range s.cols {
			if col.required && rw.vals[c] == "" {
				rw.fail(c, problem("required", "is required"))
			}
		}
		v := parse(rw)
		if s.key < 0 {
			// No key column: the parser checks what must be unique.
		} else if key := rw.vals[s.key]; rw.ok(s.key) && key != "" {
			if first, dup := seen[key]; dup {
				rw.fail(s.key, problem("duplicate", "duplicate: line %d has the same %s", first, s.cols[s.key].name))
			} else {
				seen[key] = line
			}
		}
		if !rw.bad {
			out = append(out, v)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// parseHeader maps the header's cells to the schema's columns: idx[c] is
// the field of column c, or -1; names[c] is its header as written.
func parseHeader(s *schema, rec []string, line int) (idx []int, names []string, errs Errors) {
	idx = make([]int, len(s.cols))
	names = make([]string, len(s.cols))
	for c := range s.cols {
		idx[c] = -1
		names[c] = s.cols[c].name
	}
	for _, cell := range rec {
		if !utf8.ValidString(cell) {
			// A header in another encoding (GBK): one message for the
			// file, not one per header cell.
			return idx, names, Errors{rowError(line, "", "", notUTF8())}
		}
	}
	for i, cell := range rec {
		h := strings.TrimSpace(cell)
		if h == "" {
			errs = append(errs, rowError(line, "", "", problem("header_empty", "header cell %d is empty", i+1)))
			continue
		}
		c, ok := s.lookup[strings.ToLower(h)]
		if !ok {
			errs = append(errs, rowError(line, clip(h, 100), "",
				problem("unknown_column", "unknown column; the columns of %s files are %s", s.kind, strings.Join(s.names(), ", "))))
			continue
		}
		if idx[c] >= 0 {
			errs = append(errs, rowError(line, h, "",
				problem("duplicate_column", "duplicate column: cell %d (%s) is the same column", idx[c]+1, names[c])))
			continue
		}
		idx[c] = i
		names[c] = h
	}
	for c, col := range s.cols {
		if col.required && idx[c] < 0 {
			errs = append(errs, rowError(line, col.name, "",
				problem("missing_column", "required column is missing (header %s or %s)", col.name, col.zh)))
		}
	}
	return idx, names, errs
}

// notUTF8 is the one problem of a file in another encoding.
func notUTF8() *Problem {
	return problem("not_utf8", `the file is not UTF-8 (saved as GBK?); save it as "CSV UTF-8" and import it again`)
}

func syntaxError(pe *csv.ParseError) RowError {
	return rowError(pe.StartLine, "", "",
		problem("syntax", "malformed CSV on line %d: %v; the rest of the file was not read", pe.Line, pe.Err))
}

func readError(s *schema, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return Errors{syntaxError(pe)}
	}
	return fmt.Errorf("csvio: read %s: %w", s.kind, err)
}

// blank reports whether every field of rec is empty or white space, as in
// the ",,,," lines spreadsheets leave at the end of a file.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// clip makes s valid UTF-8 and cuts it to n characters.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// write writes the header of s and then n records, filled in by fill.
func write(w io.Writer, s *schema, n int, fill func(i int, rec []string)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(s.names()); err != nil {
		return fmt.Errorf("csvio: write %s: %w", s.kind, err)
	}
	rec := make([]string, len(s.cols))
	for i := range n {
		clear(rec)
		fill(i, rec)
		for j := range rec {
			rec[j] = formula.Defuse(rec[j]) // no number of these files is negative
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("csvio: write %s: %w", s.kind, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csvio: write %s: %w", s.kind, err)
	}
	return nil
}
