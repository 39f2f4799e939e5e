package gridwarn

import (
	"fmt"
	"strings"
)

// creditCodeAlphabet is the 31-character alphabet of the unified social
// credit code (GB 32100-2015): digits and capitals without I, O, S, V, Z.
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeError says what is wrong with a credit code, for a person in
// any language: Problem is one of the CreditCode... problems, Pos the
// 1-based position of the wrong character, Got that character and Want the
// right check character; Length the code's length. Error is English.
type CreditCodeError struct {
	Problem   string
	Pos       int
	Got, Want rune
	Length    int
}

// Problems of a credit code.
const (
	CreditCodeLength   = "length"    // not 18 characters
	CreditCodeNotASCII = "not_ascii" // a full-width or other non-ASCII character
	CreditCodeDivision = "division"  // characters 3–8 are not all digits
	CreditCodeAlphabet = "alphabet"  // a character outside the code's alphabet
	CreditCodeCheck    = "check"     // the check character is wrong
)

func (e *CreditCodeError) Error() string {
	switch e.Problem {
	case CreditCodeLength:
		return fmt.Sprintf("a credit code has 18 characters, got %d", e.Length)
	case CreditCodeNotASCII:
		return fmt.Sprintf("character %d (%q) is not an ASCII letter or digit (full-width?)", e.Pos, e.Got)
	case CreditCodeDivision:
		return fmt.Sprintf("character %d (%q) must be a digit: characters 3–8 are the administrative division code", e.Pos, e.Got)
	case CreditCodeAlphabet:
		return fmt.Sprintf("character %d (%q) is not allowed in a credit code", e.Pos, e.Got)
	default:
		return fmt.Sprintf("character 18 (check character) is %q, want %q", e.Got, e.Want)
	}
}

// CreditCodeCheckChar computes the check character for the first 17
// characters of a unified social credit code.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("need 17 characters, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditCodeAlphabet, first17[i])
		if v < 0 {
			return 0, &CreditCodeError{Problem: CreditCodeAlphabet, Pos: i + 1, Got: rune(first17[i])}
		}
		sum += v * creditCodeWeights[i]
	}
	return creditCodeAlphabet[(31-sum%31)%31], nil
}

// ValidateCreditCode checks length, alphabet and check character of a
// unified social credit code and says which character is wrong (a
// *CreditCodeError).
func ValidateCreditCode(code string) error {
	if n := len([]rune(code)); n != 18 {
		return &CreditCodeError{Problem: CreditCodeLength, Length: n}
	}
	for i, r := range code {
		if r > 0x7f {
			return &CreditCodeError{Problem: CreditCodeNotASCII, Pos: len([]rune(code[:i])) + 1, Got: r}
		}
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return &CreditCodeError{Problem: CreditCodeDivision, Pos: i + 1, Got: rune(code[i])}
		}
	}
	want, err := CreditCodeCheckChar(code[:17])
	if err != nil {
		return err
	}
	if code[17] != want {
		return &CreditCodeError{Problem: CreditCodeCheck, Pos: 18, Got: rune(code[17]), Want: rune(want)}
	}
	return nil
}

// RuleCreditCode is the rule a FieldError names when a credit code fails
// ValidateCreditCode: wrong length, alphabet, division code or check
// character.
const RuleCreditCode = "credit_code"

// IsInvalidCreditCode reports whether err names the enterprise of an event
// as a credit code that fails its check (Event.Validate): the code can never
// be registered, so re-driving the event cannot help.
func IsInvalidCreditCode(err error) bool {
	for _, f := range ErrorFields(err) {
		if f.Field == "enterprise" && f.Rule == RuleCreditCode {
			return true
		}
	}
	return false
}
