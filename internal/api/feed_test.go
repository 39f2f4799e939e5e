package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// fakeFeed serves two changes of ticket 1 to a county or town scope; the
// real feed is tested against PostgreSQL (internal/postgres, internal/app).
type fakeFeed struct{}

func (fakeFeed) Feed(_ context.Context, v gridwarn.Visibility, after int64, limit int) (gridwarn.FeedPage, error) {
	if !v.All && (v.CountyCode == "" || len(v.GridCodes) > 0 || v.ReporterID != "") {
		return gridwarn.FeedPage{}, gridwarn.Errorf(gridwarn.EFORBIDDEN, "the feed is served to a county or town scope")
	}
	page := gridwarn.FeedPage{Events: []gridwarn.FeedEvent{}, NextAfter: after}
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	for seq := int64(1); seq <= 2; seq++ {
		if seq <= after || len(page.Events) >= limit {
			continue
		}
		page.Events = append(page.Events, gridwarn.FeedEventOf(gridwarn.FeedRecord{Position: seq, TicketID: 1, Seq: seq, At: at,
			Actor: "user:med1", Kind: "accept", From: "dispatched", To: "accepted", Status: "accepted", Level: "blue", Tier: "town",
			Category: "wage_arrears", CreditCode: testEnterprise, EnterpriseName: "测试有限公司", CountyCode: "320924", TownCode: "320924100"}))
		page.NextAfter = seq
	}
	return page, nil
}

// tokPlatform is the governance platform's account: it reads the feed
// and nothing else.
const tokPlatform = "tok-platform"

func init() {
	testPeople[tokPlatform] = gridwarn.User{ID: 11, Username: "platform1", DisplayName: "Data-sharing platform", Role: gridwarn.RolePlatform,
		Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testCounty}}
	roleTokens[gridwarn.RolePlatform] = tokPlatform
}

func (fakeFeed) CreatePlatform(_ context.Context, v gridwarn.Visibility, req gridwarn.NewPlatform) (*gridwarn.User, *gridwarn.Token, string, error) {
	if v.CountyCode == "" || v.TownCode != "" {
		return nil, nil, "", gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a county administrator registers the county's platform accounts")
	}
	if err := req.Validate(); err != nil {
		return nil, nil, "", err
	}
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	return &gridwarn.User{ID: 9, Username: req.Username, DisplayName: req.Name, Role: gridwarn.RolePlatform,
			Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: v.CountyCode}, CreatedAt: at},
		&gridwarn.Token{ID: 41, UserID: 9, Username: req.Username, Name: req.TokenName, Prefix: "gw_abcdefg", CreatedAt: at},
		"gw_secret", nil
}

func TestFeedRoute(t *testing.T) {
	a := mustNewAPI(t, 1, 0, nil, nil)
	rec := a.do(t, request{target: "/api/v1/feed?after=1", token: tokLeader})
	if rec.Code != http.StatusOK {
		t.Fatalf("feed: %d %s", rec.Code, rec.Body)
	}
	var page struct {
		Events    []json.RawMessage `json:"events"`
		NextAfter int64             `json:"next_after"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Events) != 1 || page.NextAfter != 2 {
		t.Fatalf("page = %s, %v", rec.Body, err)
	}
	if err := contract.ValidateTicketChange(page.Events[0]); err != nil {
		t.Errorf("event breaks its schema: %v", err)
	}
	for _, target := range []string{"/api/v1/feed?after=-1", "/api/v1/feed?after=x", "/api/v1/feed?limit=1001", "/api/v1/feed?cursor=1"} {
		mustProblem(t, a.do(t, request{target: target, token: tokLeader}), "/api/v1/feed", http.StatusBadRequest, gridwarn.EINVALID)
	}
	rec = a.do(t, request{target: "/schemas/ticket-change-v1.json", auth: ptr("")})
	if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
		t.Errorf("schema: %d", rec.Code)
	}
}
