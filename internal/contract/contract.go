// Package contract holds the event contract v1 — the JSON Schema file that is
// both served to reporters and used to validate every event — and turns raw
// bytes into a gridwarn.Event or an error that names each offending field.
package contract

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// EventSchemaV1 is the event contract v1, served at /schemas/event-v1.json.
//
//go:embed event-v1.json
var EventSchemaV1 []byte

var eventSchema = mustCompile(EventSchemaV1)

func mustCompile(doc []byte) *jsonschema.Schema {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		panic(fmt.Sprintf("contract: event-v1.json: %v", err)) // the file is embedded: a bad one never builds a working binary
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://gridwarn.dev/schemas/event-v1.json"
	if err := c.AddResource(url, v); err != nil {
		panic(fmt.Sprintf("contract: event-v1.json: %v", err))
	}
	return c.MustCompile(url)
}

// printer renders the library's messages in English.
var printer = message.NewPrinter(language.English)

// ErrMalformed marks input that is not a single JSON value.
var ErrMalformed = errors.New("malformed JSON")

// ParseEvent validates raw against the contract and decodes it: the JSON
// Schema first, then the domain's own check of the event (Event.Validate:
// the credit code's check character), so every path that parses an event
// refuses the same events with the same words. A result error is an
// *gridwarn.Error with code EINVALID whose Fields name each field and rule
// broken; malformed JSON also matches errors.Is(err, ErrMalformed).
//
// A document the fast path (fast.go) is sure of is checked and decoded in
// one pass; any other goes through the JSON Schema, which names what is
// wrong — the same rules, the same words.
func ParseEvent(raw []byte) (gridwarn.Event, error) {
	if e, ok := fastEvent(raw); ok {
		if err := e.Validate(); err != nil {
			return gridwarn.Event{}, err
		}
		return e, nil
	}
	return parseEventSchema(raw)
}

// parseEventSchema is ParseEvent through the JSON Schema: the generic
// document, the schema's validation, then a decode into the wire type.
func parseEventSchema(raw []byte) (gridwarn.Event, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return gridwarn.Event{}, fmt.Errorf("%w: %w", ErrMalformed, gridwarn.Invalid("malformed JSON",
			gridwarn.FieldError{Field: "", Rule: "json", Message: err.Error()}))
	}
	if err := ValidateDocument(doc); err != nil {
		return gridwarn.Event{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var w wire
	if err := dec.Decode(&w); err != nil {
		// The schema accepted it, so this is a value Go cannot hold, e.g. a
		// leap second or 5.0 as an integer.
		return gridwarn.Event{}, gridwarn.Invalid("event breaks the contract",
			gridwarn.FieldError{Field: "", Rule: "decode", Message: err.Error()})
	}
	e, err := w.event()
	if err != nil {
		return gridwarn.Event{}, err
	}
	if err := e.Validate(); err != nil {
		return gridwarn.Event{}, err
	}
	return e, nil
}

// ValidateDocument checks an already decoded JSON document (as produced by
// jsonschema.UnmarshalJSON or encoding/json with UseNumber) against the schema.
func ValidateDocument(doc any) error {
	err := eventSchema.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return gridwarn.Invalid("event breaks the contract", gridwarn.FieldError{Rule: "schema", Message: err.Error()})
	}
	fields := fieldErrors(ve, nil)
	slices.SortFunc(fields, func(a, b gridwarn.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return gridwarn.Invalid("event breaks the contract", fields...)
}

// fieldErrors flattens a validation error tree into one FieldError per leaf.
func fieldErrors(ve *jsonschema.ValidationError, out []gridwarn.FieldError) []gridwarn.FieldError {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			out = fieldErrors(c, out)
		}
		return out
	}
	path := strings.Join(ve.InstanceLocation, ".")
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	kw := ve.ErrorKind.KeywordPath()
	rule := "schema"
	if len(kw) > 0 {
		rule = kw[len(kw)-1]
	}
	msg := ve.ErrorKind.LocalizedString(printer)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			out = append(out, gridwarn.FieldError{Field: join(m), Rule: "required", Message: "is required"})
		}
		return out
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			out = append(out, gridwarn.FieldError{Field: join(p), Rule: "unknown_field", Message: "is not a field of the contract"})
		}
		return out
	}
	return append(out, gridwarn.FieldError{Field: path, Rule: rule, Message: msg})
}

// wire is the JSON shape with numbers kept exact until they are checked.
type wire struct {
	ID              string               `json:"id"`
	Enterprise      string               `json:"enterprise"`
	Category        gridwarn.Category    `json:"category"`
	OccurredAt      string               `json:"occurred_at"`
	ReportedAt      *string              `json:"reported_at"`
	WorkersInvolved *json.Number         `json:"workers_involved"`
	AmountOwedCNY   *json.Number         `json:"amount_owed_cny"`
	MonthsInArrears *json.Number         `json:"months_in_arrears"`
	Collective      *bool                `json:"collective"`
	Action          gridwarn.Action      `json:"action"`
	OwnerStatus     gridwarn.OwnerStatus `json:"owner_status"`
	Summary         string               `json:"summary"`
	Reporter        *gridwarn.Reporter   `json:"reporter"`
}

func (w wire) event() (gridwarn.Event, error) {
	var e gridwarn.Event
	var fields []gridwarn.FieldError
	bad := func(field, rule string, err error) {
		fields = append(fields, gridwarn.FieldError{Field: field, Rule: rule, Message: err.Error()})
	}
	e.ID, e.Enterprise, e.Category, e.Action, e.OwnerStatus, e.Summary, e.Reporter, e.Collective =
		w.ID, w.Enterprise, w.Category, w.Action, w.OwnerStatus, w.Summary, w.Reporter, w.Collective
	var err error
	if e.OccurredAt, err = time.Parse(time.RFC3339Nano, w.OccurredAt); err != nil {
		bad("occurred_at", "format", err)
	}
	if w.ReportedAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *w.ReportedAt)
		if err != nil {
			bad("reported_at", "format", err)
		}
		e.ReportedAt = &t
	}
	if w.WorkersInvolved != nil {
		f, err := w.WorkersInvolved.Float64()
		if err != nil {
			bad("workers_involved", "type", err)
		}
		n := int(f)
		e.WorkersInvolved = &n
	}
	num := func(field string, p *json.Number) *float64 {
		if p == nil {
			return nil
		}
		f, err := p.Float64()
		if err != nil {
			bad(field, "type", err)
		}
		return &f
	}
	e.AmountOwedCNY = num("amount_owed_cny", w.AmountOwedCNY)
	e.MonthsInArrears = num("months_in_arrears", w.MonthsInArrears)
	if len(fields) > 0 {
		return gridwarn.Event{}, gridwarn.Invalid("event breaks the contract", fields...)
	}
	return e, nil
}
