package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// List sizes.
const (
	defaultLimit = 50
	maxLimit     = 100
)

// Cursor prefixes: a cursor is base64url (no padding) of prefix + the last
// id of the page, so a cursor of one list is refused by another.
const (
	ticketCursor     = "t1:"
	deadLetterCursor = "d1:"
)

// encodeCursor returns the opaque cursor that continues a list after id.
func encodeCursor(prefix string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + strconv.FormatInt(id, 10)))
}

// decodeCursor returns the id in s, which must be exactly what
// encodeCursor(prefix, id) returns for a positive id.
func decodeCursor(prefix, s string) (int64, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), prefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id < 1 || encodeCursor(prefix, id) != s {
		return 0, false
	}
	return id, true
}

// page cuts items (asked for with limit+1) to one page of at most limit
// items and sets the cursor of the next page when there is one.
func page[T any](items []T, limit int, prefix string, id func(T) int64) gridwarn.Page[T] {
	p := gridwarn.Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = encodeCursor(prefix, id(items[limit-1]))
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}

// query is a strictly read query string: only known parameters, each at
// most once. Problems accumulate and are reported together by err. An empty
// value is the same as an absent parameter.
type query struct {
	vals url.Values
	errs []gridwarn.FieldError
}

// parseQuery reads raw, allowing only the named parameters.
func parseQuery(raw string, allowed ...string) *query {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return &query{errs: []gridwarn.FieldError{{Field: "query", Rule: "syntax", Message: "the query string is malformed"}}}
	}
	q := &query{vals: vals}
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch {
		case !slices.Contains(allowed, name):
			q.fail(name, "unknown_parameter", "unknown query parameter")
		case len(vals[name]) > 1:
			q.fail(name, "repeated", "must be given at most once")
		}
	}
	return q
}

func (q *query) fail(field, rule, message string) {
	q.errs = append(q.errs, gridwarn.FieldError{Field: field, Rule: rule, Message: message})
}

// get returns the value of name, "" when absent.
func (q *query) get(name string) string { return q.vals.Get(name) }

// err returns the problems found, nil if none.
func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return gridwarn.Invalid("invalid query", q.errs...)
}

// limit reads "limit": an integer from 1 to maxLimit, defaultLimit if absent.
func (q *query) limit() int {
	s := q.get("limit")
	if s == "" {
		return defaultLimit
	}
	n, ok := parsePositive(s)
	if !ok || n > maxLimit {
		q.fail("limit", "range", fmt.Sprintf("must be an integer from 1 to %d", maxLimit))
		return defaultLimit
	}
	return int(n)
}

// cursor reads "cursor": 0 if absent, else the id of a cursor of this list.
func (q *query) cursor(prefix string) int64 {
	s := q.get("cursor")
	if s == "" {
		return 0
	}
	id, ok := decodeCursor(prefix, s)
	if !ok {
		q.fail("cursor", "cursor", "is not a cursor of this list")
	}
	return id
}

// match reads name, which must match re.
func (q *query) match(name string, re *regexp.Regexp, message string) string {
	s := q.get(name)
	if s != "" && !re.MatchString(s) {
		q.fail(name, "pattern", message)
		return ""
	}
	return s
}

// enumParam reads name, which must be one of values.
func enumParam[T ~string](q *query, name string, values []T) T {
	s := T(q.get(name))
	if s != "" && !slices.Contains(values, s) {
		names := make([]string, len(values))
		for i, v := range values {
			names[i] = string(v)
		}
		q.fail(name, "enum", "must be one of: "+strings.Join(names, ", "))
		return ""
	}
	return s
}

// parsePositive parses a positive int64 written in decimal digits only.
func parsePositive(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// pathID reads the path parameter "id", a positive int64.
func pathID(c *gin.Context) (int64, error) {
	id, ok := parsePositive(c.Param("id"))
	if !ok {
		return 0, gridwarn.Invalid("invalid id", gridwarn.FieldError{Field: "id", Rule: "positive_integer", Message: "must be a positive integer"})
	}
	return id, nil
}

// unknownField extracts the name from encoding/json's "unknown field" error,
// the only form in which the decoder reports it.
var unknownField = regexp.MustCompile(`^json: unknown field ("(?:[^"\\]|\\.)*")$`)

// decodeJSON decodes the request body, which must be one JSON object of at
// most max bytes sent as application/json, into dst, refusing unknown fields.
func decodeJSON(c *gin.Context, max int64, dst any) error {
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" || !(params["charset"] == "" || strings.EqualFold(params["charset"], "utf-8")) {
		return gridwarn.Errorf(eUnsupportedMediaType, "the request body must be application/json")
	}
	tooLarge := gridwarn.Errorf(gridwarn.ETOOLARGE, "the request body exceeds %d bytes", max)
	if c.Request.ContentLength > max {
		return tooLarge
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var (
			mb     *http.MaxBytesError
			syntax *json.SyntaxError
			typ    *json.UnmarshalTypeError
		)
		switch m := unknownField.FindStringSubmatch(err.Error()); {
		case errors.As(err, &mb):
			return tooLarge
		case m != nil:
			name, _ := strconv.Unquote(m[1])
			return gridwarn.Invalid("invalid request body", gridwarn.FieldError{Field: name, Rule: "unknown_field", Message: "unknown field"})
		case errors.As(err, &typ) && typ.Field != "":
			return gridwarn.Invalid("invalid request body", gridwarn.FieldError{Field: typ.Field, Rule: "type", Message: "must be a JSON " + jsonType(typ.Type)})
		case errors.As(err, &typ):
			return bodyInvalid("the body must be a JSON object")
		case errors.Is(err, io.EOF):
			return bodyInvalid("the body is empty")
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return bodyInvalid("malformed JSON: " + err.Error())
		default:
			return bodyInvalid("the body could not be read")
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return tooLarge
		}
		return bodyInvalid("the body must hold exactly one JSON object")
	}
	return nil
}

func bodyInvalid(message string) error {
	return gridwarn.Invalid("invalid request body", gridwarn.FieldError{Field: "", Rule: "json", Message: message})
}

// jsonType names the JSON type that a Go type decodes from.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	default:
		return "value"
	}
}
