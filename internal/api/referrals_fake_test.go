package api

import (
	"context"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// fakeReferrals stands in for the referral service: referral 1 belongs to
// the partner arb1 (tokPartner); any other id is not found. The scoping
// itself is tested against PostgreSQL (postgres.TestReferralToArbitration…)
// and through the app (app access table).
type fakeReferrals struct{}

var fakeReferralAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func fakeReferral() *gridwarn.ReferralRecord {
	return &gridwarn.ReferralRecord{ID: 1, TicketID: 1, Direction: "out", Kind: "arbitration", BodyName: "射阳县劳动人事争议仲裁委员会",
		PartnerID: 1, Reference: "射劳人仲案字〔2026〕第88号", CreatedAt: fakeReferralAt, Enterprise: testEnterprise,
		Status: gridwarn.StatusReferred, Updates: []gridwarn.ReferralUpdate{}, Clocks: []gridwarn.Clock{}}
}

func (fakeReferrals) CreatePartner(_ context.Context, v gridwarn.Visibility, req gridwarn.NewPartner) (*gridwarn.Partner, *gridwarn.Token, string, error) {
	if v.CountyCode == "" || v.TownCode != "" {
		return nil, nil, "", gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a county administrator registers the county's receiving bodies")
	}
	if err := req.Validate(); err != nil {
		return nil, nil, "", err
	}
	return &gridwarn.Partner{ID: 2, CountyCode: v.CountyCode, Kind: req.Kind, Name: req.Name, Username: req.Username, CreatedAt: fakeReferralAt},
		&gridwarn.Token{ID: 40, UserID: 9, Username: req.Username, Name: req.TokenName, Prefix: "gw_abcdefg", CreatedAt: fakeReferralAt},
		"gw_secret", nil
}

func (fakeReferrals) Partners(context.Context, gridwarn.Visibility) ([]gridwarn.Partner, error) {
	return []gridwarn.Partner{{ID: 1, CountyCode: testCounty, Kind: "arbitration", Name: "射阳县劳动人事争议仲裁委员会", Username: "arb1", CreatedAt: fakeReferralAt}}, nil
}

func partnerOnly(p *gridwarn.Principal) error {
	if p == nil || p.Role != gridwarn.RolePartner {
		return gridwarn.Errorf(gridwarn.EFORBIDDEN, "only a partner may do this")
	}
	return nil
}

func (fakeReferrals) Referrals(_ context.Context, p *gridwarn.Principal) ([]gridwarn.ReferralRecord, error) {
	if err := partnerOnly(p); err != nil {
		return nil, err
	}
	return []gridwarn.ReferralRecord{*fakeReferral()}, nil
}

func (fakeReferrals) Referral(_ context.Context, p *gridwarn.Principal, id int64) (*gridwarn.ReferralRecord, error) {
	if err := partnerOnly(p); err != nil {
		return nil, err
	}
	if id != 1 {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "referral not found")
	}
	return fakeReferral(), nil
}

func (f fakeReferrals) PostUpdate(ctx context.Context, p *gridwarn.Principal, req gridwarn.UpdateRequest) (*gridwarn.ReferralRecord, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	r, err := f.Referral(ctx, p, req.ReferralID)
	if err != nil {
		return nil, err
	}
	r.Updates = append(r.Updates, gridwarn.ReferralUpdate{ID: 1, Kind: req.Kind, OnDate: req.OnDate, HearingAt: req.HearingAt,
		AmountCNY: req.AmountCNY, OwedCNY: req.OwedCNY, PayBy: req.PayBy, Note: req.Note, Author: p.Username, CreatedAt: fakeReferralAt})
	return r, nil
}

func (fakeReferrals) Commission(_ context.Context, p *gridwarn.Principal, c gridwarn.Commission) (*gridwarn.ReferralRecord, bool, error) {
	if err := partnerOnly(p); err != nil {
		return nil, false, err
	}
	if err := c.Validate(); err != nil {
		return nil, false, err
	}
	r := fakeReferral()
	r.ID, r.Direction, r.Kind, r.Reference, r.DueOn, r.Status = 2, "in", "court", c.Reference, c.DueOn, gridwarn.StatusDispatched
	return r, true, nil
}
