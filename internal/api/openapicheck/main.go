package openapicheck

import (
	"fmt"
	"net/http"
	"os"
	"testing"
)

// Run is a test suite's TestMain body: it installs a checking Transport on
// http.DefaultClient (over its own transport), runs the tests and fails the
// run when any exchange differed from the document, listing each. Clients
// a suite builds itself take the Transport from Installed.
func Run(m *testing.M, spec []byte) int {
	doc, err := Load(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	t := &Transport{Doc: doc, Base: http.DefaultClient.Transport}
	installed = t
	http.DefaultClient.Transport = t
	code := m.Run()
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "openapicheck: %d exchanges checked against the document\n", t.Checked())
	}
	if err := t.Verdict(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return code
}

var installed *Transport

// Installed is the Transport Run installed (nil outside Run): a suite's own
// clients wrap their transport with it, Wrap does so.
func Installed() *Transport { return installed }

// Wrap returns a RoundTripper that checks through the installed Transport's
// document over base; base itself when nothing is installed.
func Wrap(base http.RoundTripper) http.RoundTripper {
	if installed == nil {
		return base
	}
	return &sharedTransport{t: installed, base: base}
}

// sharedTransport sends over its own base and reports to a shared Transport.
type sharedTransport struct {
	t    *Transport
	base http.RoundTripper
}

func (s *sharedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := &Transport{Doc: s.t.Doc, Base: s.base}
	res, err := t.RoundTrip(req)
	for _, p := range t.Problems() {
		s.t.mu.Lock()
		s.t.problems = append(s.t.problems, p)
		s.t.mu.Unlock()
	}
	s.t.mu.Lock()
	s.t.checked += t.Checked()
	s.t.mu.Unlock()
	return res, err
}
