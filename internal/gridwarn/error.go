package gridwarn

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the api package and to one
// broker action in the engine; callers branch on the code, never on text.
const (
	ECONFLICT     = "conflict"     // the change conflicts with the current state
	EINTERNAL     = "internal"     // a bug or an unexpected failure; details are logged, not shown
	EINVALID      = "invalid"      // the input breaks a rule; Fields says which
	ENOTFOUND     = "not_found"    // no such object (or not visible to the caller)
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed
	ETOOLARGE     = "too_large"    // the input exceeds a size limit
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
	ETOOMANY      = "too_many"     // too many attempts; retry later (sign-in lock-out)
	// EUNPROCESSABLE: well-formed input that refers to something that does
	// not exist or is out of reach (a report about an enterprise outside
	// the caller's scope).
	EUNPROCESSABLE = "unprocessable"
	// EPRECONDITION: the change was based on a stale version (If-Match).
	EPRECONDITION = "precondition_failed"
	// EPRECONDITIONREQUIRED: a change came without If-Match.
	EPRECONDITIONREQUIRED = "precondition_required"
)

// Error is the application error: a stable code, a message safe to show to
// the caller and, for invalid input, the offending fields.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Allowed lists, for a conflict with a ticket's state, the actions the
	// caller may take now.
	Allowed []string
	// Err is the underlying cause, for logs; it is never shown to callers.
	Err error
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// FieldError names one field of the input and the rule it broke.
type FieldError struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		if e.Err != nil {
			return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
		}
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	s := fmt.Sprintf("%s: %s:", e.Code, e.Message)
	for i, f := range e.Fields {
		if i > 0 {
			s += ";"
		}
		s += fmt.Sprintf(" %s: %s", f.Field, f.Message)
	}
	return s
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error for the given fields.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the caller-safe message of err: the message of an
// *Error, "internal error" for anything else.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "internal error"
	}
}

// ErrorFields returns the field errors of an *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// ErrUnreachable marks an EUNAVAILABLE error from a dependency that could
// not be reached or was not serving: down, starting up, shutting down,
// refusing or dropping connections, no connection to be had in time. The
// attempt never got to do its work, so whoever retries waits for the
// dependency instead of counting the attempt against the work (the engine's
// rescuer sets a message aside only after attempts that reached a working
// database). A transient failure of a dependency that was working — a lost
// serialization race, a statement timeout — is EUNAVAILABLE without it.
var ErrUnreachable = errors.New("unreachable")
