package cli_test

import (
	"strings"
	"testing"
)

// The demo prints a platform token for the county's data-sharing
// platform (issue 17 item 4): it pulls the feed, and reads nothing else.
func TestDemoPrintsThePlatformsToken(t *testing.T) {
	d := MustRunDemo(t, nil, "--interval", "300ms", "--history-weeks", "0")
	tok := d.Tokens["platform"]
	if tok == "" || !strings.Contains(d.Banner(), tok) {
		t.Fatalf("the platform token %q is not printed", tok)
	}
	p := apiClient{t: t, base: d.APIURL, token: tok}
	if code, body := p.do("GET", "/api/v1/feed?after=0&limit=5", 0, nil, nil); code != 200 {
		t.Fatalf("the platform's feed: %d %s", code, body)
	}
	for _, path := range []string{"/api/v1/tickets", "/api/v1/enterprises", "/api/v1/hotline/cases", "/api/v1/summaries/weekly"} {
		if code, body := p.do("GET", path, 0, nil, nil); code != 403 {
			t.Errorf("the platform reads %s: %d %s, want 403", path, code, body)
		}
	}
}
