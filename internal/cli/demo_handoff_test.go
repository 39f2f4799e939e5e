package cli_test

import (
	"strings"
	"testing"
)

// The demo has a second county (issue 17 item 3): its mediator's login
// and token are printed, and they work in county 320923 with its
// hand-offs. (The hand-off itself is tested in postgres, handoff and app.)
func TestDemoHasASecondCounty(t *testing.T) {
	d := MustRunDemo(t, nil, "--interval", "300ms", "--history-weeks", "0")
	tok, login := d.Tokens["mediator@320923"], d.Logins["mediator@320923"]
	if tok == "" || login.Username != "mediator-320923-1" || !strings.Contains(d.Banner(), tok) || !strings.Contains(d.Banner(), login.Password) {
		t.Fatalf("the second county's mediator is not printed: %q %+v", tok, login)
	}
	nb := apiClient{t: t, base: d.APIURL, token: tok}
	var me struct {
		Scope struct {
			UnitCode string `json:"unit_code"`
		} `json:"scope"`
	}
	if code, body := nb.do("GET", "/api/v1/me", 0, nil, &me); code != 200 || me.Scope.UnitCode != "320923" {
		t.Fatalf("the second county's mediator: %d %s", code, body)
	}
	if code, body := nb.do("GET", "/api/v1/handoffs", 0, nil, nil); code != 200 {
		t.Errorf("the second county's hand-offs: %d %s", code, body)
	}
}
