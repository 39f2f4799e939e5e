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

// Event.Validate names the enterprise field and the check character.
func TestEventValidateCreditCode(t *testing.T) {
	if err := (Event{Enterprise: "91350100M000100Y43"}).Validate(); err != nil {
		t.Errorf("a valid code: %v", err)
	}
	err := Event{Enterprise: "91350100M000100Y44"}.Validate()
	fs := ErrorFields(err)
	if ErrorCode(err) != EINVALID || !IsInvalidCreditCode(err) || len(fs) != 1 || fs[0].Field != "enterprise" ||
		fs[0].Rule != RuleCreditCode || fs[0].Message != "character 18 (check character) is '4', want '3'" {
		t.Errorf("err = %v, fields %+v", err, fs)
	}
	if IsInvalidCreditCode(Invalid("x", FieldError{Field: "category", Rule: "enum"})) || IsInvalidCreditCode(nil) {
		t.Error("IsInvalidCreditCode holds for other errors")
	}
}
