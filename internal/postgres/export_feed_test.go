package postgres

import "strings"

// FeedReadSQL is the feed's read (the relay's: after a position, a
// limit); without the reply it is the read before the 12351 reply's join
// (for BenchmarkFeedRead).
func FeedReadSQL(withReply bool) string {
	cols, from := feedColumns, feedFrom
	if !withReply {
		cols = strings.Replace(cols, ", coalesce(wo.work_order, ''), coalesce(wo.platform_order, '')", "", 1)
		from, _, _ = strings.Cut(from, "\nLEFT JOIN LATERAL")
	}
	return "SELECT " + cols + from + " WHERE f.position > $1 ORDER BY f.position LIMIT $2"
}
