package contract

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// agree checks that ParseEvent (the fast path where it applies) and the
// schema path give the same event or the same error for raw, and that the
// fast path accepts only what the schema accepts.
func agree(t *testing.T, raw []byte) {
	t.Helper()
	fast, fastOK := fastEvent(raw)
	got, gotErr := ParseEvent(raw)
	want, wantErr := parseEventSchema(raw)
	if fastOK {
		if _, err := schemaAlone(raw); err != nil {
			t.Fatalf("the fast path accepted %q, the schema refuses it: %v", raw, err)
		}
		if wantErr == nil && !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q: fast path decoded %+v, schema path %+v", raw, fast, want)
		}
	}
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%q: ParseEvent err %v, schema path err %v", raw, gotErr, wantErr)
	}
	if gotErr != nil && !reflect.DeepEqual(gotErr, wantErr) {
		t.Fatalf("%q: errors differ: %#v vs %#v", raw, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: ParseEvent %+v, schema path %+v", raw, got, want)
	}
}

// schemaAlone is the schema alone on raw.
func schemaAlone(raw []byte) (any, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, ValidateDocument(doc)
}

// Every good event takes the fast path (else it would be no faster), and
// every bad one is named by the schema path as before.
func TestFastPathIsASubsetOfTheSchema(t *testing.T) {
	for _, l := range lines(t, "testdata/good.jsonl") {
		if _, ok := fastEvent(l); !ok {
			t.Errorf("a good event misses the fast path: %s", l)
		}
		agree(t, l)
	}
	for _, l := range lines(t, "testdata/bad.jsonl") {
		var c struct {
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(l, &c); err != nil {
			t.Fatal(err)
		}
		agree(t, c.Event)
	}
	base := `{"id":"a","enterprise":"91320924MA1100231L","category":"other","occurred_at":"2026-11-20T09:00:00+08:00"`
	for _, extra := range []string{
		``, `,"id":"b"`, `,"ID":"b"`, `,"reporter":null`, `,"summary":null`, `,"workers_involved":5.0`,
		`,"workers_involved":1e2`, `,"workers_involved":1000000`, `,"workers_involved":1000001`, `,"workers_involved":-0`,
		`,"amount_owed_cny":1000000000000`, `,"amount_owed_cny":999999999999.99`, `,"amount_owed_cny":1000000000000.0000001`,
		`,"amount_owed_cny":1e3`, `,"months_in_arrears":600`, `,"months_in_arrears":599.9999999999999999999`,
		`,"reported_at":"2026-11-20T09:00:60+08:00"`, `,"reported_at":"2026-02-30T09:00:00Z"`, `,"reported_at":"2026-11-20t09:00:00z"`,
		`,"reported_at":"2026-11-20T09:00:00.1234567891Z"`, `,"reported_at":"2026-11-20T09:00:00+23:59"`, `,"reported_at":"2026-11-20T24:00:00Z"`,
		`,"summary":"` + strings.Repeat("欠", 2000) + `"`, `,"summary":"` + strings.Repeat("欠", 2001) + `"`, `,"summary":"a\u0000"`,
		`,"summary":"\ud800"`, `,"reporter":{"kind":"hotline","id":"a@b"}`, `,"reporter":{"kind":"hotline","kind":"hotline"}`,
		`,"reporter":{"id":"x"}`, `,"collective":null`, `,"action":"stoppage","owner_status":"absconded"`,
	} {
		agree(t, []byte(base+extra+`}`))
	}
	agree(t, []byte(base+`} {}`))
	agree(t, []byte(strings.Replace(base, "MA1100231L", "MA1100231G", 1)+`}`))
}

// FuzzFastPathAgreesWithSchema: whatever the bytes, the fast path accepts
// only what the schema accepts, decoding it the same, and ParseEvent
// answers as the schema path does.
func FuzzFastPathAgreesWithSchema(f *testing.F) {
	for _, path := range []string{"testdata/good.jsonl"} {
		data, _ := os.ReadFile(path)
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) { agree(t, raw) })
}

func BenchmarkParseEvent(b *testing.B) {
	raw := []byte(`{"id":"550e8400-e29b-41d4-a716-446655440000","enterprise":"91320924MA1100231L","category":"wage_arrears","occurred_at":"2026-11-20T01:00:00Z","workers_involved":12,"months_in_arrears":1.5,"collective":true,"summary":"12名职工反映企业拖欠工资约1.5个月"}`)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseEvent(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("schema", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseEventSchema(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
