package csvio

import "fmt"

// Problem is the reason of a RowError in a form a program can put into
// another language: Code names the message (the console's catalogue has
// "csv.<Code>"), Args fill it in order, FullWidth says the value has
// full-width characters (a hint follows). Err is the cause when the
// reason is another's — a gridwarn.CreditCodeError, or the item of a list.
// Error is the English reason the command line and the API show.
type Problem struct {
	Code      string
	Args      []any
	FullWidth bool
	Err       error
	text      string
}

func (p *Problem) Error() string { return p.text }

// Unwrap returns the cause.
func (p *Problem) Unwrap() error { return p.Err }

// problem returns a Problem whose English text is format filled with args.
func problem(code, format string, args ...any) *Problem {
	return &Problem{Code: code, Args: args, text: fmt.Sprintf(format, args...)}
}
