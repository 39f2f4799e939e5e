package testutil

import (
	"context"
	"fmt"
	"testing"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// Test territory: county 320924, town 320924100 with the joint grid
// 320924100-J01, town 320924101 with 320924101-J01.
const (
	County = "320924"
	TownA  = "320924100"
	TownB  = "320924101"
	GridA  = "320924100-J01"
	GridB  = "320924101-J01"
)

// CreditCode returns the n-th valid credit code of county 320924.
func CreditCode(n int) string {
	first17 := fmt.Sprintf("91%sMA%07d", County, n)
	c, err := gridwarn.CreditCodeCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// MustSeedEnterprises registers the test territory and the enterprises
// with the given codes: even positions in town A's grid, odd in town B's.
func MustSeedEnterprises(tb testing.TB, db *postgres.DB, codes ...string) {
	tb.Helper()
	t := postgres.Territory{
		Units: []gridwarn.Unit{
			{Code: County, Kind: gridwarn.UnitCounty, NameZH: "射阳县"},
			{Code: TownA, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: County, NameZH: "合德镇"},
			{Code: TownB, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: County, NameZH: "临海镇"},
		},
		Grids: []gridwarn.Grid{
			{Code: GridA, TownCode: TownA, Kind: gridwarn.GridJoint, Name: "合德镇联合网格", Industry: "C"},
			{Code: GridB, TownCode: TownB, Kind: gridwarn.GridJoint, Name: "临海镇联合网格", Industry: "C"},
		},
	}
	for i, c := range codes {
		town, grid := TownA, GridA
		if i%2 == 1 {
			town, grid = TownB, GridB
		}
		t.Enterprises = append(t.Enterprises, gridwarn.Enterprise{CreditCode: c, Name: "测试企业" + c[10:], IndustryCode: "C17",
			Ownership: "private", Headcount: 50, ComplianceGrade: "B", TownCode: town, GridCode: grid})
	}
	if err := db.LoadTerritory(context.Background(), t); err != nil {
		tb.Fatal(err)
	}
}

// MustSeedDemoCounty loads the demo county and returns it.
func MustSeedDemoCounty(tb testing.TB, db *postgres.DB) demo.CountyData {
	tb.Helper()
	d := demo.County(gridwarn.DefaultIndependentThreshold)
	units := append([]gridwarn.Unit{d.County}, d.Towns...)
	if err := db.LoadTerritory(context.Background(), postgres.Territory{Units: units, Grids: d.Grids, Enterprises: d.Enterprises, Users: d.Users}); err != nil {
		tb.Fatal(err)
	}
	return d
}

// MustToken issues a bearer token for username.
func MustToken(tb testing.TB, db *postgres.DB, username string) string {
	tb.Helper()
	ctx := context.Background()
	u, err := db.UserByName(ctx, username)
	if err != nil {
		tb.Fatalf("user %s: %v", username, err)
	}
	_, secret, err := db.CreateToken(ctx, gridwarn.Visibility{All: true}, u.ID, "test", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return secret
}

// MustPassword sets username's password.
func MustPassword(tb testing.TB, db *postgres.DB, username, password string) {
	tb.Helper()
	ctx := context.Background()
	u, err := db.UserByName(ctx, username)
	if err != nil {
		tb.Fatalf("user %s: %v", username, err)
	}
	if err := db.SetPassword(ctx, gridwarn.Visibility{All: true}, u.ID, password); err != nil {
		tb.Fatal(err)
	}
}

// MustSeedNeighbour loads the demo's second county (320923): a hand-off's
// receiving county.
func MustSeedNeighbour(tb testing.TB, db *postgres.DB) demo.CountyData {
	tb.Helper()
	d := demo.Neighbour()
	units := append([]gridwarn.Unit{d.County}, d.Towns...)
	if err := db.LoadTerritory(context.Background(), postgres.Territory{Units: units, Grids: d.Grids, Enterprises: d.Enterprises, Users: d.Users}); err != nil {
		tb.Fatal(err)
	}
	return d
}
