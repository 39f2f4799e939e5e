package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The scheduler creates the months ahead at start (and daily): partitions
// dropped from a migrated database are back once gridwarn has started.
func TestSchedulerCreatesPartitionsAhead(t *testing.T) {
	db, url := testutil.MustOpenDB(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var names []string
	for m := 1; m <= 2; m++ {
		month := time.Date(now.Year(), now.Month()+time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format("2006_01")
		names = append(names, "events_"+month, "ticket_history_"+month)
	}
	for _, n := range names {
		if _, err := db.Pool().Exec(ctx, "DROP TABLE "+n); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	a := MustRunApp(t, func(c *config.Config) {
		c.Database.URL = url
		c.Roles = config.Roles{Scheduler: true}
	})
	for _, n := range names {
		var ok bool
		if err := a.DB().Pool().QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", n).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Errorf("partition %s missing after start", n)
		}
	}
}
