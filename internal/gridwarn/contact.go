package gridwarn

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Contact assignments, "1+x" (seed 004, 联系企业、联系职工制度): each cadre is
// linked to one enterprise and follows several workers in difficulty
// (困难职工). The cadre visits the enterprise (the visit form is the same
// for everyone, so the visit counts for coverage), and the county reads
// who follows what.
//
// Data minimisation: the union's hardship files (建档立卡) already hold who
// a worker in difficulty is; the system needs only enough to say who
// follows them, why and since when. So a followed worker is recorded by a
// label — the hardship file's number, or any tag the union chooses — never
// by a name, identity number or telephone number, and with the kind of
// difficulty, since when and a short note. No identity is stored, so no
// second identity-protection mechanism is needed beside the reporters'
// (D5).

// Difficulty is why a worker is in difficulty (the hardship files'
// categories, 致困原因).
type Difficulty string

const (
	DifficultyIllness     Difficulty = "illness"      // 因病
	DifficultyDisability  Difficulty = "disability"   // 因残
	DifficultyJobLoss     Difficulty = "job_loss"     // 失业、下岗
	DifficultyWageArrears Difficulty = "wage_arrears" // 欠薪
	DifficultyInjury      Difficulty = "injury"       // 工伤、意外
	DifficultySchooling   Difficulty = "schooling"    // 子女就学
	DifficultyDisaster    Difficulty = "disaster"     // 因灾
	DifficultyOther       Difficulty = "other"        // 其他
)

// Difficulties lists the kinds of difficulty.
var Difficulties = []Difficulty{DifficultyIllness, DifficultyDisability, DifficultyJobLoss, DifficultyWageArrears,
	DifficultyInjury, DifficultySchooling, DifficultyDisaster, DifficultyOther}

// Limits of a contact assignment.
const (
	MaxContactWorkers   = 20  // workers one person follows
	MaxContactLabel     = 32  // characters of a worker's label
	MaxContactNote      = 200 // characters of a worker's note
	MaxContactEndReason = 200
)

// contactLabelRE: a file number or a tag — letters, digits and . _ - / #,
// so that a name written in Chinese characters does not fit.
var contactLabelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/#-]*$`)

// ContactLabelOK reports whether s may label a followed worker.
func ContactLabelOK(s string) bool { return len(s) <= MaxContactLabel && contactLabelRE.MatchString(s) }

// ContactWorker is a worker in difficulty a person follows.
type ContactWorker struct {
	// Label is the hardship file's number or a tag; never a name.
	Label      string     `json:"label"`
	Difficulty Difficulty `json:"difficulty"`
	// Since is the day the difficulty began, or the day the worker was
	// entered in the hardship file (YYYY-MM-DD); empty when unknown.
	Since string `json:"since,omitempty"`
	Note  string `json:"note,omitempty"`
}

// ContactRoles are the roles a contact person may have: the union's people
// who visit (grid workers, mediators, leaders). Administrators and report
// points' machine accounts do not visit.
var ContactRoles = []Role{RoleGridWorker, RoleMediator, RoleLeader}

// ContactAssignment is one "1+x" assignment: a person, their enterprise, the workers
// they follow. It is never deleted: it ends (EndedAt), and every change is
// a line of its history.
type ContactAssignment struct {
	ID         int64           `json:"id"`
	Person     string          `json:"person"` // username
	Enterprise string          `json:"enterprise"`
	Workers    []ContactWorker `json:"workers"`

	// Set by the server.
	PersonName     string     `json:"person_name"`
	PersonRole     Role       `json:"person_role"`
	EnterpriseName string     `json:"enterprise_name"`
	TownCode       string     `json:"town_code"`
	GridCode       string     `json:"grid_code"`
	AssignedBy     string     `json:"assigned_by"`
	AssignedAt     time.Time  `json:"assigned_at"`
	EndedAt        *time.Time `json:"ended_at"`
	EndedBy        string     `json:"ended_by,omitempty"`
	EndReason      string     `json:"end_reason,omitempty"`
	// LastVisit is the person's latest visit to the enterprise (YYYY-MM-DD,
	// absent: none), and VisitedThisYear whether it lies in this year of
	// the county's calendar (seed 004 counts a year).
	LastVisit       string `json:"last_visit,omitempty"`
	VisitedThisYear bool   `json:"visited_this_year"`
	// History is every change, oldest first (on a single contact only).
	History []ContactChange `json:"history,omitempty"`
}

// ContactChange is one line of a contact's history.
type ContactChange struct {
	At      time.Time       `json:"at"`
	By      string          `json:"by"`
	Action  string          `json:"action"` // assigned, changed, ended
	Workers []ContactWorker `json:"workers"`
	Reason  string          `json:"reason,omitempty"`
}

// ActorCommandLine is who changed contacts from the command line
// (gridwarn import contacts), which runs with the database's rights.
const ActorCommandLine = "system:command-line"

// Contact history actions.
const (
	ContactAssigned = "assigned"
	ContactChanged  = "changed"
	ContactEnded    = "ended"
)

// ValidateContactWorkers is the one rule for the workers of an assignment,
// for every path that writes them (API, import, command line, demo); today
// is a day of the county's calendar. Field names start with prefix
// ("workers").
func ValidateContactWorkers(ws []ContactWorker, today time.Time) []FieldError {
	var fs []FieldError
	if len(ws) > MaxContactWorkers {
		fs = append(fs, FieldError{Field: "workers", Rule: "max_items",
			Message: fmt.Sprintf("has %d workers, at most %d are allowed", len(ws), MaxContactWorkers)})
	}
	seen := map[string]int{}
	for i, w := range ws {
		field := func(f string) string { return fmt.Sprintf("workers[%d].%s", i, f) }
		refuse := func(f, rule, msg string) { fs = append(fs, FieldError{Field: field(f), Rule: rule, Message: msg}) }
		switch {
		case w.Label == "":
			refuse("label", "required", "is required (the hardship file's number or a tag, never a name)")
		case !ContactLabelOK(w.Label):
			refuse("label", "pattern", fmt.Sprintf("must be a file number or tag of at most %d letters, digits and . _ - / # (never a name)", MaxContactLabel))
		default:
			if j, dup := seen[w.Label]; dup {
				refuse("label", "unique", fmt.Sprintf("is also worker %d's", j))
			}
			seen[w.Label] = i
		}
		if !slices.Contains(Difficulties, w.Difficulty) {
			refuse("difficulty", "enum", "must be one of illness, disability, job_loss, wage_arrears, injury, schooling, disaster, other")
		}
		if w.Since != "" {
			d, err := time.Parse(time.DateOnly, w.Since)
			switch {
			case err != nil:
				refuse("since", "date", "must be a day such as 2025-03-01")
			case d.After(today):
				refuse("since", "not_future", "must not be after today")
			}
		}
		if f := CheckText(field("note"), w.Note, MaxContactNote); f != nil {
			fs = append(fs, *f)
		}
	}
	return fs
}

// Validate checks what an assigner sets (today: a day of the county's
// calendar).
func (c ContactAssignment) Validate(today time.Time) error {
	var fs []FieldError
	if c.Person == "" {
		fs = append(fs, FieldError{Field: "person", Rule: "required", Message: "is required (a username)"})
	}
	if err := ValidateCreditCode(c.Enterprise); err != nil {
		fs = append(fs, FieldError{Field: "enterprise", Rule: "credit_code", Message: err.Error()})
	}
	fs = append(fs, ValidateContactWorkers(c.Workers, today)...)
	if len(fs) > 0 {
		return Invalid("invalid contact", fs...)
	}
	return nil
}

// CheckEndReason checks the reason given for ending an assignment
// (optional).
func CheckEndReason(reason string) error {
	if f := CheckText("reason", reason, MaxContactEndReason); f != nil {
		return Invalid("invalid reason", *f)
	}
	return nil
}

// ContactRow is one person's whole assignment in an import file; Line is
// the file line of its first record (0: not from a file).
type ContactRow struct {
	Line       int
	Person     string
	Enterprise string
	Workers    []ContactWorker
}

// ContactFilter selects contacts.
type ContactFilter struct {
	Person     string // a username
	Enterprise string
	Ended      bool // include ended assignments
	Limit      int
}

// ContactService keeps the "1+x" assignments. Every call is limited to the
// caller's scope: an administrator assigns people and enterprises wholly
// inside theirs; leaders and administrators read the assignments of their
// part of the territory; anyone else reads only their own.
type ContactService interface {
	// AssignContact links c.Person to c.Enterprise with its workers. A
	// person has one current enterprise ("1"): a second is a conflict
	// until the first is ended. A person or enterprise outside by's
	// scope is EUNPROCESSABLE.
	AssignContact(ctx context.Context, by *Principal, c ContactAssignment) (*ContactAssignment, error)
	// ChangeContactWorkers replaces the workers of a current assignment.
	ChangeContactWorkers(ctx context.Context, by *Principal, id int64, ws []ContactWorker) (*ContactAssignment, error)
	// EndContact ends an assignment (kept, with who ended it and why).
	EndContact(ctx context.Context, by *Principal, id int64, reason string) (*ContactAssignment, error)
	Contacts(ctx context.Context, p *Principal, f ContactFilter) ([]ContactAssignment, error)
	// Contact returns one assignment with its history.
	Contact(ctx context.Context, p *Principal, id int64) (*ContactAssignment, error)
	// ImportContacts applies a file of whole assignments in one
	// transaction, all rows or none: a person's current assignment is kept
	// (its workers replaced) when the enterprise is the same, ended and
	// replaced otherwise. by names who imported it.
	ImportContacts(ctx context.Context, by string, v Visibility, rows []ContactRow, dryRun bool) (ImportResult, error)
}
