package rules

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// DefaultYAML is the built-in rules file, identical to configs/rules.yaml.
//
//go:embed default.yaml
var DefaultYAML []byte

var defaultRules = sync.OnceValue(func() *Rules {
	r, err := Parse(DefaultYAML, "default.yaml")
	if err != nil {
		// The file is embedded and tested: a bad one never builds a working binary.
		panic(fmt.Sprintf("rules: the built-in default.yaml: %v", err))
	}
	return r
})

// Default returns the built-in rules (DOMAIN.md's level table, the ladder's
// time limits). The value is shared and immutable.
func Default() *Rules { return defaultRules() }

// StartingTier is the default routing: blue starts at the enterprise,
// yellow and orange at the town, red at the county.
func StartingTier(l gridwarn.Level) gridwarn.Tier { return Default().StartingTier(l) }
