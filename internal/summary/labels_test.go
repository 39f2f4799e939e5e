package summary

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func TestCatalogueComplete(t *testing.T) {
	zh, en := slices.Sorted(maps.Keys(catalogue["zh"])), slices.Sorted(maps.Keys(catalogue["en"]))
	if !slices.Equal(zh, en) {
		t.Errorf("zh and en keys differ:\nzh %q\nen %q", zh, en)
	}
	var keys []string
	for _, l := range gridwarn.Levels {
		keys = append(keys, "level."+string(l), "level_short."+string(l))
	}
	for _, x := range gridwarn.Tiers {
		keys = append(keys, "tier."+string(x))
	}
	for _, c := range gridwarn.Categories {
		keys = append(keys, "category."+string(c))
	}
	for _, s := range gridwarn.Statuses {
		keys = append(keys, "status."+string(s))
	}
	for _, s := range append([]string{"report"}, Sections...) {
		keys = append(keys, "section."+s)
	}
	for _, s := range Sections {
		keys = append(keys, "sheet."+s)
	}
	for _, m := range metrics {
		keys = append(keys, "metric."+m.key)
	}
	for _, b := range []string{"< 1 day", "1–7 days", "7–15 days", "15–30 days", "> 30 days"} {
		keys = append(keys, "age."+b)
	}
	keys = append(keys, hotlineKeys()...)
	for _, lang := range Languages {
		l := Labels(lang)
		for _, k := range keys {
			if l[k] == "" {
				t.Errorf("%s: no label for %s", lang, k)
			}
		}
		// Sheet names must be valid and distinct in Excel.
		seen := map[string]bool{}
		for _, s := range Sections {
			n := l["sheet."+s]
			if len([]rune(n)) > 31 || strings.ContainsAny(n, `[]:*?/\`) || seen[n] {
				t.Errorf("%s: bad sheet name %q", lang, n)
			}
			seen[n] = true
		}
	}
}

func TestLabels(t *testing.T) {
	for in, want := range map[string]string{"": "zh", "zh": "zh", "zh-CN": "zh", "en": "en", "EN-us": "en", "en_GB": "en", "fr": "zh", "eng": "zh"} {
		if got := Lang(in); got != want {
			t.Errorf("Lang(%q) = %q; want %q", in, got, want)
		}
	}
	zh := Labels("zh")
	if zh["level.red"] != "红 紧急" || zh["section.riskiest"] != "风险最高的十家企业" || zh["category.owner_absconded"] != "经营者逃匿" {
		t.Errorf("zh labels: %q %q %q", zh["level.red"], zh["section.riskiest"], zh["category.owner_absconded"])
	}
	zh["level.red"] = "changed"
	if Labels("zh")["level.red"] != "红 紧急" {
		t.Error("Labels returns the catalogue itself, not a copy")
	}
	if got := label(zh, "category.new_kind"); got != "new_kind" {
		t.Errorf("unknown code shown as %q", got)
	}
}
