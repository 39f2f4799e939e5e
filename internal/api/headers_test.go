package api

import "testing"

// Every answer carries the security headers, whatever answers it: a route,
// an error, an unmatched path (the console's too).
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	a := mustNewAPI(t, 3, 3, nil, nil)
	for _, req := range []request{
		{target: "/api/v1/tickets"},
		{target: "/api/v1/tickets", auth: ptr("")},
		{target: "/nope"},
		{target: "/ui/no-such-page"},
		{method: "DELETE", target: "/api/v1/tickets"},
	} {
		rec := a.do(t, req)
		h := rec.Header()
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") == "" ||
			h.Get("X-Frame-Options") == "" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s %s (%d): headers %v, want nosniff, a CSP, X-Frame-Options and Referrer-Policy", req.method, req.target, rec.Code, h)
		}
	}
}
