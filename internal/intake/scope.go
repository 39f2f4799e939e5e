package intake

import (
	"strings"
	"sync"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// ScopeCacheTTL is how long an enterprise found inside a caller's
// visibility is trusted without asking the registry again: an enterprise
// moved to another town, or a person whose scope changed, is reported on
// under the old answer for at most this long. A person's token is checked
// before this cache (postgres.AuthCacheTTL), and the key is the whole
// visibility the token resolved to, so a changed scope is a new key.
const ScopeCacheTTL = 2 * time.Second

// scopeCacheMax bounds the cache; a full cache is emptied.
const scopeCacheMax = 10_000

type scopeEntry struct {
	ent   gridwarn.Enterprise
	until time.Time
}

// scopeCache remembers the enterprises found in scope, never the misses.
type scopeCache struct {
	mu sync.Mutex
	m  map[string]scopeEntry
}

func scopeKey(v gridwarn.Visibility, code string) string {
	var b strings.Builder
	b.Grow(64)
	if v.All {
		b.WriteString("*")
	}
	b.WriteString("\x00" + v.CountyCode + "\x00" + v.TownCode + "\x00" + v.ReporterID + "\x00")
	for _, g := range v.GridCodes {
		b.WriteString(g + ",")
	}
	b.WriteString("\x00" + code)
	return b.String()
}

func (c *scopeCache) get(key string, now time.Time) (gridwarn.Enterprise, bool) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		return gridwarn.Enterprise{}, false
	}
	return e.ent, true
}

func (c *scopeCache) put(key string, ent gridwarn.Enterprise, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= scopeCacheMax {
		c.m = make(map[string]scopeEntry)
	}
	c.m[key] = scopeEntry{ent: ent, until: until}
}
