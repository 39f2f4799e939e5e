package app

import "time"

// SetCountyRetry shortens the county streams' retry for a test.
func SetCountyRetry(d time.Duration) (restore func()) {
	old := countyRetry
	countyRetry = d
	return func() { countyRetry = old }
}
