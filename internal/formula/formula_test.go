package formula

import "testing"

func TestDefuse(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"盐城公司":              "盐城公司",
		"a=b":               "a=b",
		"=1+2":              "'=1+2",
		"+1":                "'+1",
		"-1":                "'-1",
		"@SUM(A1)":          "'@SUM(A1)",
		" =1+2":             "' =1+2",
		"\t=1+2":            "'\t=1+2",
		"\tplain":           "'\tplain",
		"\rplain":           "'\rplain",
		"320924100-J01":     "320924100-J01",
		"2026-12-01T00:00Z": "2026-12-01T00:00Z",
	} {
		if got := Defuse(in); got != want {
			t.Errorf("Defuse(%q) = %q, want %q", in, got, want)
		}
	}
}
