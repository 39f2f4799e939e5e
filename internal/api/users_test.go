package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func TestListUsers(t *testing.T) {
	b := mustNewAPI(t, 0, 0, nil, nil)
	b.users.mu.Lock()
	for i := int64(7); i <= 13; i++ {
		b.users.users[i] = gridwarn.User{ID: i, Username: "extra", Role: gridwarn.RoleMediator,
			Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testTownA}}
	}
	b.users.mu.Unlock()

	// 13 people in pages of 5, by ascending id.
	var ids []int64
	cursor := ""
	for i := 0; ; i++ {
		if i > 13 {
			t.Fatal("pagination does not end")
		}
		p := pageOf[gridwarn.User](t, b.do(t, request{target: "/api/v1/users?limit=5&cursor=" + cursor}))
		for _, u := range p.Items {
			ids = append(ids, u.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}

	for _, r := range gridwarn.Roles {
		p := pageOf[gridwarn.User](t, b.do(t, request{target: "/api/v1/users?role=" + string(r), token: tokLeader}))
		if diff := cmp.Diff(gridwarn.UserFilter{Role: r, Limit: defaultLimit + 1}, b.users.lastFilter()); diff != "" {
			t.Errorf("filter (-want +got):\n%s", diff)
		}
		for _, u := range p.Items {
			if u.Role != r {
				t.Errorf("role %s lists %s (%s)", r, u.Username, u.Role)
			}
		}
	}

	// A town's admin sees the people of the town.
	p := pageOf[gridwarn.User](t, b.do(t, request{target: "/api/v1/users", token: tokAdminB}))
	if len(p.Items) != 1 || p.Items[0].Username != "admin.b" {
		t.Errorf("town B admin sees %+v", p.Items)
	}
}

func TestCreateUser(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	rec := a.do(t, request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: okUserBody})
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
	}
	got := decodeJSONBody[gridwarn.User](t, rec.Body.Bytes())
	if got.ID == 0 || got.Username != "new.med" || got.CreatedAt.IsZero() {
		t.Errorf("created %+v", got)
	}
	want := gridwarn.User{Username: "new.med", DisplayName: "新调解员", Role: gridwarn.RoleMediator,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testTownA}}
	if diff := cmp.Diff(want, a.users.created[0]); diff != "" {
		t.Errorf("user given to the service (-want +got):\n%s", diff)
	}
	if rec := a.do(t, request{target: "/api/v1/users/" + itoa(got.ID)}); rec.Code != http.StatusOK {
		t.Errorf("GET the new user: %d", rec.Code)
	}
	// Again: the username is taken.
	rec = a.do(t, request{method: "POST", target: "/api/v1/users", contentType: "application/json", body: okUserBody})
	mustProblem(t, rec, "/api/v1/users", http.StatusConflict, gridwarn.ECONFLICT)
}

func TestTokens(t *testing.T) {
	a := mustNewAPI(t, 0, 0, nil, nil)
	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	rec := a.do(t, request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json",
		body: `{"name":"  phone  ","expires_at":"` + exp.Format(time.RFC3339) + `"}`})
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
	}
	created := decodeJSONBody[createdToken](t, rec.Body.Bytes())
	if created.Secret == "" || created.Token == nil || created.Token.UserID != 3 || created.Token.Name != "phone" ||
		created.Token.ExpiresAt == nil || !created.Token.ExpiresAt.Equal(exp) {
		t.Fatalf("created %s", rec.Body)
	}

	// The list shows the token, never its secret.
	rec = a.do(t, request{target: "/api/v1/users/3/tokens", token: tokLeader})
	p := pageOf[gridwarn.Token](t, rec)
	if len(p.Items) != 2 || p.Items[1].ID != created.Token.ID {
		t.Errorf("tokens: %s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), created.Secret) {
		t.Errorf("the list shows the secret: %s", rec.Body)
	}

	// Revoke: 204 with no body; twice is fine.
	for range 2 {
		rec = a.do(t, request{method: "POST", target: "/api/v1/tokens/" + itoa(created.Token.ID) + "/revoke"})
		if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
			t.Errorf("revoke: %d %q", rec.Code, rec.Body)
		}
	}
	rec = a.do(t, request{target: "/api/v1/users/3/tokens"})
	if p := pageOf[gridwarn.Token](t, rec); p.Items[1].RevokedAt == nil {
		t.Errorf("not revoked: %s", rec.Body)
	}
	// An empty body is a token without a name or expiry.
	if rec := a.do(t, request{method: "POST", target: "/api/v1/users/3/tokens", contentType: "application/json", body: `{}`}); rec.Code != http.StatusCreated {
		t.Errorf("empty token request: %d %s", rec.Code, rec.Body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
