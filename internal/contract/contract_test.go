package contract

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func lines(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, bytes.Clone(l))
		}
	}
	return out
}

func TestGoodEvents(t *testing.T) {
	for _, l := range lines(t, "testdata/good.jsonl") {
		e, err := ParseEvent(l)
		if err != nil {
			t.Errorf("%s: %v", l, err)
			continue
		}
		if e.ID == "" || e.Enterprise == "" || !e.Category.Valid() || e.OccurredAt.IsZero() {
			t.Errorf("%s decoded to %+v", l, e)
		}
	}
}

// Each bad event is rejected, and the error names the field and the rule.
func TestBadEventsNameTheFieldAndRule(t *testing.T) {
	for _, l := range lines(t, "testdata/bad.jsonl") {
		var c struct {
			Case  string          `json:"case"`
			Want  string          `json:"want"`
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(l, &c); err != nil {
			t.Fatal(err)
		}
		t.Run(c.Case, func(t *testing.T) {
			_, err := ParseEvent(c.Event)
			if gridwarn.ErrorCode(err) != gridwarn.EINVALID {
				t.Fatalf("err = %v, want invalid", err)
			}
			var got []string
			for _, f := range gridwarn.ErrorFields(err) {
				got = append(got, f.Field+":"+f.Rule)
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
			}
			if !contains(got, c.Want) {
				t.Errorf("fields = %v, want %s among them", got, c.Want)
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestMalformedJSON(t *testing.T) {
	for _, raw := range []string{``, `{`, `{"id":"a",}`, `{"id":"a"} trailing`, "\xff"} {
		_, err := ParseEvent([]byte(raw))
		if !errors.Is(err, ErrMalformed) || gridwarn.ErrorCode(err) != gridwarn.EINVALID {
			t.Errorf("%q: err = %v, want malformed", raw, err)
		}
	}
}

func TestSummaryLengthCountsCharacters(t *testing.T) {
	base := `{"id":"a","enterprise":"91320924MA1100231L","category":"other","occurred_at":"2026-11-20T09:00:00+08:00","summary":"%s"}`
	ok := strings.Repeat("欠", 2000)
	if _, err := ParseEvent([]byte(strings.Replace(base, "%s", ok, 1))); err != nil {
		t.Errorf("2000 Chinese characters: %v", err)
	}
	if utf8.RuneCountInString(ok+"欠") != 2001 {
		t.Fatal("test is wrong")
	}
	if _, err := ParseEvent([]byte(strings.Replace(base, "%s", ok+"欠", 1))); err == nil {
		t.Error("2001 characters accepted")
	}
}

// FuzzParseEvent: whatever the bytes, ParseEvent never panics, and what it
// accepts survives a round trip through the domain type.
func FuzzParseEvent(f *testing.F) {
	for _, path := range []string{"testdata/good.jsonl"} {
		data, _ := os.ReadFile(path)
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseEvent(raw)
		if err != nil {
			if gridwarn.ErrorCode(err) != gridwarn.EINVALID {
				t.Fatalf("error code %q for %q", gridwarn.ErrorCode(err), raw)
			}
			return
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseEvent(again); err != nil {
			t.Fatalf("accepted %q but not its round trip %q: %v", raw, again, err)
		}
	})
}

// A credit code of the right alphabet with a wrong check character is named:
// the field, the rule and the message that says which character is wrong
// and what it must be — the message the CSV import gives.
func TestWrongCheckCharacterIsNamed(t *testing.T) {
	raw := `{"id":"a","enterprise":"91320924MA1100231G","category":"wage_arrears","occurred_at":"2026-11-20T09:00:00+08:00"}`
	_, err := ParseEvent([]byte(raw))
	want := []gridwarn.FieldError{{Field: "enterprise", Rule: gridwarn.RuleCreditCode,
		Message: "character 18 (check character) is 'G', want 'L'"}}
	if gridwarn.ErrorCode(err) != gridwarn.EINVALID || !gridwarn.IsInvalidCreditCode(err) {
		t.Fatalf("err = %v, want an invalid credit code", err)
	}
	if got := gridwarn.ErrorFields(err); len(got) != 1 || got[0] != want[0] {
		t.Errorf("fields = %+v, want %+v", got, want)
	}
	// A document that breaks the schema is reported by the schema alone.
	_, err = ParseEvent([]byte(strings.Replace(raw, `"wage_arrears"`, `"gossip"`, 1)))
	if gridwarn.IsInvalidCreditCode(err) {
		t.Errorf("a schema violation is reported as a credit code: %v", err)
	}
}

// owner_status travels from the contract into the event, and the schema's
// values are the domain's.
func TestOwnerStatus(t *testing.T) {
	raw := `{"id":"a","enterprise":"91320924MA1100231L","category":"owner_absconded","occurred_at":"2026-11-20T09:00:00+08:00","owner_status":"unreachable"}`
	e, err := ParseEvent([]byte(raw))
	if err != nil || e.OwnerStatus != gridwarn.OwnerUnreachable {
		t.Fatalf("event %+v, %v; want owner_status unreachable", e, err)
	}
	var doc struct {
		Properties map[string]struct {
			Enum []gridwarn.OwnerStatus `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(EventSchemaV1, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Properties["owner_status"].Enum; !slices.Equal(got, gridwarn.OwnerStatuses) {
		t.Errorf("schema owner_status enum %v, domain %v", got, gridwarn.OwnerStatuses)
	}
}
