package gridwarn

import (
	"context"
	"time"
)

// Dashboard is what a leader watches between two weekly summaries: the
// open tickets of their scope now, the red and the overdue ones, the towns
// side by side and the trend of the last weeks.
type Dashboard struct {
	At   time.Time `json:"at"`
	Week string    `json:"week"` // the ISO week of At, e.g. "2026-W47"

	Open        int           `json:"open"`          // open tickets (not closed, not merged)
	OpenByLevel map[Level]int `json:"open_by_level"` // open tickets by their level now
	OpenByTier  map[Tier]int  `json:"open_by_tier"`  // open tickets by the tier that owns them now
	Overdue     int           `json:"overdue"`       // open tickets past the county's limit
	NewThisWeek int           `json:"new_this_week"` // tickets opened since Monday 00:00
	Red         []BoardTicket `json:"red"`           // the open red tickets, oldest first (at most DashboardListMax)
	OverdueList []BoardTicket `json:"overdue_list"`  // the overdue tickets, longest overdue first (at most DashboardListMax)
	Towns       []BoardTown   `json:"towns"`         // a line per town of the scope, by code
	Trend       []WeekLevels  `json:"trend"`         // events by level, the last DashboardWeeks ISO weeks, oldest first (the last is this week so far)
}

// DashboardListMax bounds the red and overdue lists of a dashboard; the
// counts above them are complete.
const DashboardListMax = 50

// DashboardWeeks is how many weeks a dashboard's trend shows.
const DashboardWeeks = 8

// BoardTicket is a ticket in a dashboard's list.
type BoardTicket struct {
	ID         int64      `json:"id"`
	Enterprise string     `json:"enterprise"`
	Name       string     `json:"name"` // the enterprise's name
	Category   Category   `json:"category"`
	Level      Level      `json:"level"`
	Tier       Tier       `json:"tier"`
	Status     Status     `json:"status"`
	TownCode   string     `json:"town_code,omitempty"`
	TownName   string     `json:"town_name,omitempty"`
	OpenedAt   time.Time  `json:"opened_at"`
	OverdueAt  *time.Time `json:"overdue_at,omitempty"`
}

// BoardTown compares one town with the others.
type BoardTown struct {
	Code        string        `json:"code"`
	Name        string        `json:"name"`
	NameEN      string        `json:"name_en,omitempty"`
	Open        int           `json:"open"`
	OpenByLevel map[Level]int `json:"open_by_level"`
	Overdue     int           `json:"overdue"`
	NewThisWeek int           `json:"new_this_week"`
}

// DashboardService computes a dashboard for what v sees at now. Weeks are
// ISO weeks in now's location: pass now in the summaries' time zone
// (Asia/Shanghai).
type DashboardService interface {
	Dashboard(ctx context.Context, v Visibility, now time.Time) (*Dashboard, error)
}
