package csvio

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var (
	reTownCode   = regexp.MustCompile(`^[0-9]{9}$`)
	reCountyCode = regexp.MustCompile(`^[0-9]{6}$`)
	reGridCode   = regexp.MustCompile(`^[0-9]{9}-[PIJ][0-9]{2,}$`)
	reIndustry   = regexp.MustCompile(`^[A-T][0-9]{0,4}$`)
	reSection    = regexp.MustCompile(`^[A-T]$`)
	reUsername   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)
	// reNumber is a non-negative decimal, optionally with thousands
	// separators in the integer part: 1000000, 1,000,000, 1,000,000.50.
	reNumber = regexp.MustCompile(`^([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?$`)
)

// maxCapital bounds the registered capital: registered_capital_cny is a
// numeric(18, 2), and below 10^15 a float64 still holds the yuan exactly.
const maxCapital = 1e15

// creditCodeAlphabet is the alphabet of GB 32100: digits and capitals
// without I, O, S, V and Z.
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// parseCreditCode checks a unified social credit code (GB 32100) and says
// which character is wrong.
func parseCreditCode(s string) (string, error) {
	for i, r := range []rune(s) {
		switch {
		case isFullWidth(r):
			return "", problem("cc_full_width", "character %d (%q) is full-width; type credit codes in half-width (ASCII) letters and digits", i+1, r)
		case r >= 'a' && r <= 'z':
			return "", problem("cc_lowercase", "character %d (%q) is lowercase; credit codes use capital letters (%q)", i+1, r, unicode.ToUpper(r))
		case r >= utf8.RuneSelf:
			return "", problem("cc_not_allowed", "character %d (%q) is not allowed; a credit code has only digits and capital letters", i+1, r)
		}
	}
	if len(s) != 18 {
		return "", gridwarn.ValidateCreditCode(s) // its message gives the length
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", problem("cc_division", "character %d (%q) is not a digit; characters 3–8 are the administrative division code", i+1, rune(s[i]))
		}
	}
	if err := gridwarn.ValidateCreditCode(s); err != nil {
		if i := strings.IndexFunc(s[:17], func(r rune) bool { return !strings.ContainsRune(creditCodeAlphabet, r) }); i >= 0 && strings.IndexByte("IOSVZ", s[i]) >= 0 {
			return "", &Problem{Err: err, text: err.Error() + ": I, O, S, V and Z are never used"}
		}
		return "", err
	}
	return s, nil
}

// isFullWidth reports whether r is a full-width form of an ASCII character
// or the ideographic space, as typed by a Chinese input method.
func isFullWidth(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 }

// hasFullWidth reports whether s has a full-width character.
func hasFullWidth(s string) bool { return strings.IndexFunc(s, isFullWidth) >= 0 }

// codeError returns the problem code (English msg), with a hint when s
// has full-width characters.
func codeError(s, code, msg string) error {
	p := problem(code, "%s", msg)
	p.Args = nil
	if hasFullWidth(s) {
		p.FullWidth = true
		p.text += "; it has full-width characters, type half-width (ASCII) digits and letters"
	}
	return p
}

func parseTownCode(s string) (string, error) {
	if s != "" && !reTownCode.MatchString(s) {
		return "", codeError(s, "town_code", "must be a 9-digit town code such as 320924100")
	}
	return s, nil
}

// parseUnitCode accepts a county (6 digits) or a town (9 digits).
func parseUnitCode(s string) (string, error) {
	if s != "" && !reCountyCode.MatchString(s) && !reTownCode.MatchString(s) {
		return "", codeError(s, "unit_code", "must be a 6-digit county code such as 320924 or a 9-digit town code such as 320924100")
	}
	return s, nil
}

func parseGridCode(s string) (string, error) {
	if s != "" && !reGridCode.MatchString(s) {
		return "", codeError(s, "grid_code", "must be a grid code: the 9-digit town code, '-', P, I or J and 2 or more digits, such as 320924100-J01")
	}
	return s, nil
}

// parseGridCodes parses grid codes separated by ";" or "；".
func parseGridCodes(s string) ([]string, error) {
	return parseList(s, "grid code", parseGridCode)
}

// parseList splits s at ";" or "；", trims the items, drops empty ones and
// parses each; an item may appear once.
func parseList(s, what string, parse func(string) (string, error)) ([]string, error) {
	var out []string
	for item := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '；' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		v, err := parse(item)
		if err != nil {
			p := problem("list_item", "%s %q", what, clip(item, 40))
			p.Err, p.text = err, p.text+" "+err.Error()
			return nil, p
		}
		for _, o := range out {
			if o == v {
				return nil, problem("list_twice", "lists %s %s twice", what, v)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func parseUsername(s string) (string, error) {
	if s == "" || reUsername.MatchString(s) {
		return s, nil
	}
	if reUsername.MatchString(strings.ToLower(s)) {
		return "", problem("lowercase", "must be lowercase")
	}
	return "", codeError(s, "username", "must be 2 to 64 characters: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit")
}

func parseUsernames(s string) ([]string, error) {
	return parseList(s, "username", parseUsername)
}

func parseIndustryCode(s string) (string, error) {
	if s == "" || reIndustry.MatchString(s) {
		return s, nil
	}
	if reIndustry.MatchString(strings.ToUpper(s)) {
		return "", problem("section_capital", "the section letter must be a capital")
	}
	return "", codeError(s, "industry_code", "must be a GB/T 4754 code: a section letter A–T and up to 4 digits, such as C, C17 or C1713")
}

func parseSection(s string) (string, error) {
	if s == "" || reSection.MatchString(s) {
		return s, nil
	}
	if reSection.MatchString(strings.ToUpper(s)) {
		return "", problem("section_capital", "the section letter must be a capital")
	}
	return "", codeError(s, "section", "must be a GB/T 4754 section letter A–T, such as C")
}

// parseText returns a parser for free text of at most max characters
// (gridwarn.CheckText, the rule of every write path).
func parseText(max int) func(string) (string, error) {
	return func(s string) (string, error) {
		if f := gridwarn.CheckText("", s, max); f != nil {
			return "", &Problem{Code: "text", Args: []any{f.Rule, max}, text: f.Message}
		}
		return s, nil
	}
}

// parseBool accepts true/false, yes/no, 1/0, Y/N and 是/否, in any case;
// empty is false.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1", "是":
		return true, nil
	case "", "false", "no", "n", "0", "否":
		return false, nil
	}
	return false, problem("bool", "must be true or false (also yes/no, 1/0, Y/N, 是/否)")
}

// parseCount parses a non-negative whole number, thousands separators
// allowed; empty is 0.
func parseCount(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if !reNumber.MatchString(s) {
		return 0, codeError(s, "count", "must be a whole number ≥ 0")
	}
	if strings.Contains(s, ".") {
		return 0, problem("whole", "must be a whole number")
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 32)
	if err != nil {
		return 0, problem("count_too_large", "is too large (at most %d)", math.MaxInt32)
	}
	return int(n), nil
}

// parseAmount parses a non-negative amount in yuan with at most two
// decimals, thousands separators allowed; empty is 0.
func parseAmount(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	if !reNumber.MatchString(s) {
		return 0, codeError(s, "amount", "must be a number ≥ 0 in yuan, such as 1000000 or 1,000,000.50")
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 2 {
		return 0, problem("decimals", "has more than 2 decimals")
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || f >= maxCapital {
		return 0, problem("amount_too_large", "is too large (at most 999,999,999,999,999.99 yuan)")
	}
	return f, nil
}

func formatAmount(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func formatBool(b bool) string { return strconv.FormatBool(b) }

// parseGrade accepts A, B or C in any case; empty stays empty.
func parseGrade(s string) (string, error) {
	switch g := strings.ToUpper(s); g {
	case "", "A", "B", "C":
		return g, nil
	}
	return "", problem("grade", "must be A, B or C")
}

// enum returns a parser for the values of a string type: the English
// values in any case, or a Chinese alias; empty stays empty.
func enum[T ~string](values []T, zh map[string]T) func(string) (T, error) {
	return func(s string) (T, error) {
		if s == "" {
			return "", nil
		}
		for _, v := range values {
			if strings.EqualFold(s, string(v)) {
				return v, nil
			}
		}
		if v, ok := zh[s]; ok {
			return v, nil
		}
		names := make([]string, len(values))
		for i, v := range values {
			names[i] = string(v)
		}
		return "", problem("enum", "must be one of %s (or its Chinese name)", strings.Join(names, ", "))
	}
}

var parseOwnership = enum(gridwarn.Ownerships, map[string]gridwarn.Ownership{
	"国有":  "state",
	"集体":  "collective",
	"私营":  "private",
	"民营":  "private",
	"外资":  "foreign",
	"港澳台": "hk_macao_taiwan",
	"合资":  "joint_venture",
	"其他":  "other",
	"其它":  "other",
})

var parseGridKind = enum(gridwarn.GridKinds, map[string]gridwarn.GridKind{
	"园区":    gridwarn.GridPark,
	"园区大网格": gridwarn.GridPark,
	"独立":    gridwarn.GridIndependent,
	"独立网格":  gridwarn.GridIndependent,
	"联合":    gridwarn.GridJoint,
	"联合网格":  gridwarn.GridJoint,
})

// parseRole takes every role a person file may give: a partner's account is
// registered with its body (POST /api/v1/partners), never imported.
var parseRole = enum(gridwarn.PersonRoles(), map[string]gridwarn.Role{
	"网格员":   gridwarn.RoleGridWorker,
	"信息员":   gridwarn.RoleGridWorker,
	"直报员":   gridwarn.RoleReporter,
	"调解员":   gridwarn.RoleMediator,
	"领导":    gridwarn.RoleLeader,
	"管理员":   gridwarn.RoleAdmin,
	"热线接线员": gridwarn.RoleHotlineOperator,
})

var parseScopeKind = enum([]gridwarn.ScopeKind{gridwarn.ScopeCounty, gridwarn.ScopeTown, gridwarn.ScopeGrids}, map[string]gridwarn.ScopeKind{
	"县":  gridwarn.ScopeCounty,
	"镇":  gridwarn.ScopeTown,
	"网格": gridwarn.ScopeGrids,
})

// gridKindOfCode returns the kind a grid code's letter stands for.
func gridKindOfCode(code string) gridwarn.GridKind {
	switch code[10] {
	case 'P':
		return gridwarn.GridPark
	case 'I':
		return gridwarn.GridIndependent
	default:
		return gridwarn.GridJoint
	}
}
