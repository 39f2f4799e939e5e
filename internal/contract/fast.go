package contract

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The fast path of ParseEvent: one pass over the tokens of the document,
// checking each field by hand and building the event as it goes, without
// the generic document (map[string]any) the schema library validates, its
// regular expressions or a second, reflective decode into the wire type.
// It may only accept: any document it is not sure of — a missing or
// unknown field, a null, a duplicate key, a number it would have to round,
// anything that breaks a rule — it hands to the schema path, which names
// the offending fields exactly as before. So the schema stays the one
// definition of the rules, and the fast path is a subset of it;
// TestFastPathIsASubsetOfTheSchema and FuzzFastPathAgreesWithSchema hold it
// to that. The enums are read from the schema file itself.

var (
	enumCategory    = schemaEnum("category")
	enumAction      = schemaEnum("action")
	enumOwnerStatus = schemaEnum("owner_status")
	enumReporter    = schemaReporterKinds()
)

func schemaEnum(field string) []string {
	var doc struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(EventSchemaV1, &doc); err != nil {
		panic("contract: event-v1.json: " + err.Error()) // embedded: never happens in a built binary
	}
	return doc.Properties[field].Enum
}

func schemaReporterKinds() []string {
	var doc struct {
		Properties struct {
			Reporter struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"reporter"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(EventSchemaV1, &doc); err != nil {
		panic("contract: event-v1.json: " + err.Error())
	}
	return doc.Properties.Reporter.Properties["kind"].Enum
}

// Bit of each field, for duplicates and the required ones.
const (
	fID = 1 << iota
	fEnterprise
	fCategory
	fOccurredAt
	fReportedAt
	fWorkers
	fAmount
	fMonths
	fCollective
	fAction
	fOwnerStatus
	fSummary
	fReporter
	fRequired = fID | fEnterprise | fCategory | fOccurredAt
)

// fastEvent returns the event and true when raw is a document the schema
// certainly accepts; false means "ask the schema".
func fastEvent(raw []byte) (gridwarn.Event, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var e gridwarn.Event
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return e, false
	}
	seen := 0
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return e, false
		}
		key, _ := kt.(string)
		bit := 0
		switch key {
		case "id":
			bit = fID
			s, ok := str(dec)
			if !ok || !idPattern(s, false) {
				return e, false
			}
			e.ID = s
		case "enterprise":
			bit = fEnterprise
			s, ok := str(dec)
			if !ok || !creditCodePattern(s) {
				return e, false
			}
			e.Enterprise = s
		case "category":
			bit = fCategory
			s, ok := str(dec)
			if !ok || !slices.Contains(enumCategory, s) {
				return e, false
			}
			e.Category = gridwarn.Category(s)
		case "occurred_at":
			bit = fOccurredAt
			t, ok := dateTime(dec)
			if !ok {
				return e, false
			}
			e.OccurredAt = t
		case "reported_at":
			bit = fReportedAt
			t, ok := dateTime(dec)
			if !ok {
				return e, false
			}
			e.ReportedAt = &t
		case "workers_involved":
			bit = fWorkers
			n, ok := number(dec)
			if !ok || len(n) > 24 || bytes.ContainsAny([]byte(n), "eE") {
				return e, false
			}
			if whole, frac, found := strings.Cut(n, "."); found { // 5.0 is an integer to the schema
				if strings.Trim(frac, "0") != "" {
					return e, false
				}
				n = whole
			}
			if len(n) > 7 {
				return e, false
			}
			v, err := strconv.Atoi(n)
			if err != nil || v > 1_000_000 {
				return e, false
			}
			e.WorkersInvolved = &v
		case "amount_owed_cny":
			bit = fAmount
			f, ok := decimal(dec, 1e12)
			if !ok {
				return e, false
			}
			e.AmountOwedCNY = &f
		case "months_in_arrears":
			bit = fMonths
			f, ok := decimal(dec, 600)
			if !ok {
				return e, false
			}
			e.MonthsInArrears = &f
		case "collective":
			bit = fCollective
			t, err := dec.Token()
			b, ok := t.(bool)
			if err != nil || !ok {
				return e, false
			}
			e.Collective = &b
		case "action":
			bit = fAction
			s, ok := str(dec)
			if !ok || !slices.Contains(enumAction, s) {
				return e, false
			}
			e.Action = gridwarn.Action(s)
		case "owner_status":
			bit = fOwnerStatus
			s, ok := str(dec)
			if !ok || !slices.Contains(enumOwnerStatus, s) {
				return e, false
			}
			e.OwnerStatus = gridwarn.OwnerStatus(s)
		case "summary":
			bit = fSummary
			s, ok := str(dec)
			if !ok || utf8.RuneCountInString(s) > 2000 || containsNUL(s) {
				return e, false
			}
			e.Summary = s
		case "reporter":
			bit = fReporter
			r, ok := reporter(dec)
			if !ok {
				return e, false
			}
			e.Reporter = r
		default:
			return e, false
		}
		if seen&bit != 0 {
			return e, false
		}
		seen |= bit
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return e, false
	}
	if _, err := dec.Token(); err != io.EOF { // one value, nothing after it
		return e, false
	}
	if seen&fRequired != fRequired {
		return e, false
	}
	return e, true
}

func str(dec *json.Decoder) (string, bool) {
	t, err := dec.Token()
	s, ok := t.(string)
	return s, err == nil && ok
}

func number(dec *json.Decoder) (string, bool) {
	t, err := dec.Token()
	n, ok := t.(json.Number)
	if err != nil || !ok || len(n) == 0 || n[0] == '-' {
		return "", false
	}
	return string(n), true
}

// decimal is a number written without a sign or an exponent, at most 24
// characters, strictly below max (so that no rounding can carry a value
// over the schema's maximum).
func decimal(dec *json.Decoder, max float64) (float64, bool) {
	n, ok := number(dec)
	if !ok || len(n) > 24 || bytes.ContainsAny([]byte(n), "eE") {
		return 0, false
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || f >= max {
		return 0, false
	}
	return f, true
}

// dateTime is an RFC 3339 date-time in its strict form —
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), no leap second — that
// time.Parse accepts.
func dateTime(dec *json.Decoder) (time.Time, bool) {
	s, ok := str(dec)
	if !ok || len(s) < 20 || len(s) > 35 {
		return time.Time{}, false
	}
	digits := func(from, to int) bool {
		for i := from; i < to; i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	if !digits(0, 4) || s[4] != '-' || !digits(5, 7) || s[7] != '-' || !digits(8, 10) || s[10] != 'T' ||
		!digits(11, 13) || s[13] != ':' || !digits(14, 16) || s[16] != ':' || !digits(17, 19) || s[17:19] == "60" {
		return time.Time{}, false
	}
	i := 19
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 || j-i-1 > 9 {
			return time.Time{}, false
		}
		i = j
	}
	switch {
	case i == len(s)-1 && s[i] == 'Z':
	case i == len(s)-6 && (s[i] == '+' || s[i] == '-') && digits(i+1, i+3) && s[i+3] == ':' && digits(i+4, i+6) &&
		s[i+1:i+3] < "24" && s[i+4:i+6] < "60":
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func reporter(dec *json.Decoder) (*gridwarn.Reporter, bool) {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var r gridwarn.Reporter
	var kind, id bool
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, false
		}
		switch kt {
		case "kind":
			s, ok := str(dec)
			if kind || !ok || !slices.Contains(enumReporter, s) {
				return nil, false
			}
			r.Kind, kind = gridwarn.ReporterKind(s), true
		case "id":
			s, ok := str(dec)
			if id || !ok || !idPattern(s, true) {
				return nil, false
			}
			r.ID, id = s, true
		default:
			return nil, false
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') || !kind {
		return nil, false
	}
	return &r, true
}

// idPattern is ^[A-Za-z0-9._:-]{1,64}$, with '@' too for a reporter's id.
func idPattern(s string, at bool) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		case c == '@' && at:
		default:
			return false
		}
	}
	return true
}

// creditCodePattern is ^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$.
func creditCodePattern(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		c := s[i]
		digit := c >= '0' && c <= '9'
		if i >= 2 && i < 8 {
			if !digit {
				return false
			}
			continue
		}
		letter := c >= 'A' && c <= 'Y' && c != 'I' && c != 'O' && c != 'S' && c != 'V' && c != 'Z'
		if !digit && !letter {
			return false
		}
	}
	return true
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
