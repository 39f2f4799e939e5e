package cli_test

import (
	"strings"
	"testing"
)

// The demo prints a partner token for the county's arbitration
// commission (issue 17 item 2): it reads the referrals sent to the
// commission, and nothing a mediator reads.
func TestDemoPrintsTheArbitrationCommissionsToken(t *testing.T) {
	d := MustRunDemo(t, nil, "--interval", "300ms", "--history-weeks", "0")
	tok := d.Tokens["partner"]
	if tok == "" || !strings.Contains(d.Banner(), tok) {
		t.Fatalf("the partner token %q is not printed", tok)
	}
	arb := apiClient{t: t, base: d.APIURL, token: tok}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if code, body := arb.do("GET", "/api/v1/referrals", 0, nil, &page); code != 200 {
		t.Fatalf("the commission's referrals: %d %s", code, body)
	}
	for _, r := range page.Items {
		if r["kind"] != "arbitration" {
			t.Errorf("the arbitration commission sees a %v referral", r["kind"])
		}
	}
	if code, body := arb.do("GET", "/api/v1/queue", 0, nil, nil); code != 403 {
		t.Errorf("the partner reads the queue: %d %s, want 403", code, body)
	}
}
