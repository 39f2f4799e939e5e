package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// translate sorts driver errors by what a caller does next. The failures of
// a database that is down or starting up are marked unreachable, so that
// retry loops wait for it instead of counting the attempts; the tests in
// unreachable_test.go produce the same errors from a real server.
func TestTranslate(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Severity: "FATAL", Code: code, Message: "m"} }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for _, c := range []struct {
		name        string
		err         error
		code        string
		unreachable bool
	}{
		{"no rows", pgx.ErrNoRows, gridwarn.ENOTFOUND, false},
		{"unique violation", pg("23505"), gridwarn.ECONFLICT, false},
		{"check violation", pg("23514"), gridwarn.EINVALID, false},
		{"bad data", pg("22P02"), gridwarn.EINVALID, false},
		{"starting up", pg("57P03"), gridwarn.EUNAVAILABLE, true},
		{"admin shutdown", pg("57P01"), gridwarn.EUNAVAILABLE, true},
		{"crash shutdown", pg("57P02"), gridwarn.EUNAVAILABLE, true},
		{"too many connections", pg("53300"), gridwarn.EUNAVAILABLE, true},
		{"disk full", pg("53100"), gridwarn.EUNAVAILABLE, true},
		{"connection failure", pg("08006"), gridwarn.EUNAVAILABLE, true},
		{"io error", pg("58030"), gridwarn.EUNAVAILABLE, true},
		{"start-up error while connecting", fmt.Errorf("failed to connect: %w", pg("57P03")), gridwarn.EUNAVAILABLE, true},
		{"refused", refused, gridwarn.EUNAVAILABLE, true},
		{"reset", reset, gridwarn.EUNAVAILABLE, true},
		{"eof", io.ErrUnexpectedEOF, gridwarn.EUNAVAILABLE, true},
		{"conn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), gridwarn.EUNAVAILABLE, true},
		{"acquire timeout", fmt.Errorf("acquire: %w", context.DeadlineExceeded), gridwarn.EUNAVAILABLE, true},
		{"stopping", context.Canceled, gridwarn.EUNAVAILABLE, true},
		{"serialization race", pg("40001"), gridwarn.EUNAVAILABLE, false},
		{"deadlock", pg("40P01"), gridwarn.EUNAVAILABLE, false},
		{"lock not available", pg("55P03"), gridwarn.EUNAVAILABLE, false},
		{"statement timeout", pg("57014"), gridwarn.EUNAVAILABLE, false},
		{"missing column (a bug)", pg("42703"), gridwarn.EINTERNAL, false},
		{"scan error (a bug)", errors.New("can't scan into dest[0]: cannot scan int8 into *string"), gridwarn.EINTERNAL, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := translate(c.err, "thing")
			if got := gridwarn.ErrorCode(err); got != c.code {
				t.Errorf("code = %q, want %q (%v)", got, c.code, err)
			}
			if got := errors.Is(err, gridwarn.ErrUnreachable); got != c.unreachable {
				t.Errorf("unreachable = %v, want %v (%v)", got, c.unreachable, err)
			}
			if !errors.Is(err, c.err) && c.code != gridwarn.ENOTFOUND {
				t.Errorf("the cause is lost: %v", err)
			}
		})
	}
}

// The database's own words — constraint and column names, encoding errors —
// stay in the log: the caller reads what was refused, not how the schema is
// built.
func TestTranslateKeepsTheSchemaPrivate(t *testing.T) {
	for _, code := range []string{"23514", "23503", "23502", "22P02", "22021", "22001"} {
		err := translate(&pgconn.PgError{Code: code, Message: `new row for relation "enterprises" violates check constraint "enterprises_name_check"`,
			ConstraintName: "enterprises_name_check"}, "enterprise")
		msg := gridwarn.ErrorMessage(err)
		if gridwarn.ErrorCode(err) != gridwarn.EINVALID || strings.Contains(msg, "enterprises_") || strings.Contains(msg, "relation") {
			t.Errorf("%s: %q (%s), want invalid without the database's text", code, msg, gridwarn.ErrorCode(err))
		}
		if !strings.Contains(err.Error(), "enterprises_name_check") {
			t.Errorf("%s: the log loses the cause: %v", code, err)
		}
	}
}
