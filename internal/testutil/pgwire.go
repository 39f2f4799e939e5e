package testutil

import (
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresStartingUp answers a client the way PostgreSQL does while it
// replays its log after a crash or a stop with -m immediate: it reads the
// start-up packet (declining TLS and GSS encryption first) and refuses the
// connection with FATAL 57P03 "the database system is starting up". Give it
// to Proxy.Answer.
func PostgresStartingUp(c net.Conn) {
	PostgresRefuses("57P03", "the database system is starting up")(c)
}

// PostgresRefuses returns a connection handler that refuses every
// connection after its start-up packet with a FATAL error of the given
// SQLSTATE, as PostgreSQL does when it cannot take connections.
func PostgresRefuses(sqlstate, message string) func(net.Conn) {
	return func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		for {
			var head [8]byte
			if _, err := io.ReadFull(c, head[:]); err != nil {
				return
			}
			n := int(binary.BigEndian.Uint32(head[:4]))
			if n < 8 || n > 10000 {
				return
			}
			if _, err := io.CopyN(io.Discard, c, int64(n-8)); err != nil {
				return
			}
			switch binary.BigEndian.Uint32(head[4:]) {
			case 80877103, 80877104: // SSLRequest, GSSENCRequest: not here
				if _, err := c.Write([]byte{'N'}); err != nil {
					return
				}
				continue
			}
			break
		}
		var body []byte
		for _, f := range []struct {
			tag byte
			val string
		}{{'S', "FATAL"}, {'V', "FATAL"}, {'C', sqlstate}, {'M', message}} {
			body = append(append(append(body, f.tag), f.val...), 0)
		}
		body = append(body, 0)
		msg := append([]byte{'E'}, binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))...)
		_, _ = c.Write(append(msg, body...))
	}
}

// MustProxyDatabase starts a Proxy in front of the server of a database URL
// and returns it with the same URL pointed at the proxy, so that a test can
// cut the database away from the code under test, or have it answer as a
// server that is starting up, while the test itself still reaches it.
func MustProxyDatabase(tb testing.TB, dbURL string) (*Proxy, string) {
	tb.Helper()
	cfg, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	p := MustStartProxy(tb, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
	host, port, _ := net.SplitHostPort(p.Addr())
	if u, err := url.Parse(dbURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Host = p.Addr()
		return p, u.String()
	}
	// In keyword/value strings the last occurrence of a keyword wins.
	return p, strings.TrimSpace(dbURL) + " host=" + host + " port=" + port
}
