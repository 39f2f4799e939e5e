package gridwarn

import "testing"

func TestCreditCode(t *testing.T) {
	// 91350100M000100Y43 is a widely published valid example.
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{"91350100M000100Y43", true},
		{"91350100M000100Y44", false},
		{"91350100M000100Y4", false},
		{"91350100m000100Y43", false},
		{"９1350100M000100Y43", false},
		{"91350100I000100Y43", false},
		{"91A50100M000100Y43", false},
		{"", false},
	} {
		err := ValidateCreditCode(tc.code)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateCreditCode(%q) = %v, want ok=%v", tc.code, err, tc.ok)
		}
	}
}
