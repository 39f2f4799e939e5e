// Package rules is the rules engine: it compiles a versioned rules file
// (configs/rules.yaml; the built-in copy is default.yaml) once, and decides
// the warning level, tier and score of each event from the event, its
// enterprise and the enterprise's history, which the caller hands in. It
// is pure: no I/O after Load, no wall clock, safe for concurrent use.
//
// # The file
//
// levels (labels), routing (level → starting tier), constants (UPPER_CASE
// numbers usable in expressions), rules (per category, or `any`), raises
// (repetition and relapse), score (the 0–100 score and its optional
// overlay), time_limits (per tier and level: accept, contact, resolve),
// calendar (time zone, weekend, holidays, make-up working days) and
// grouping, and hotline (the 12351 case classes' time limits). Unknown
// keys are errors; a file with any problem is rejected as a whole with
// every problem's line and rule id (*ParseError).
//
// # Expressions
//
// Conditions (`when`) and reported values (`values`) are
// github.com/expr-lang/expr expressions, compiled and type-checked at load
// against Env:
//
//	event.category, event.workers_involved, event.amount_owed_cny,
//	event.months_in_arrears, event.days_in_arrears (= months × 30),
//	event.collective, event.action, event.occurred_at, event.reported_at,
//	event.age_hours (occurred_at to now), event.reporter_kind
//	enterprise.headcount, enterprise.registered_capital_cny,
//	enterprise.compliance_grade, enterprise.key_enterprise,
//	enterprise.has_union, enterprise.has_mediation_committee,
//	enterprise.industry_code, enterprise.ownership
//	now                            DecisionInput.Now
//	signals(category, days)        earlier signals in the window (int)
//	workers(category, days)        the most workers among them (int)
//	closed_within(category, days)  a ticket of the category was closed in the window (bool)
//
// Absent optional numbers are 0 and absent flags false. History windows
// count back from DecisionInput.Now (a signal counts when it occurred at or
// after now − days × 24 h); the event being decided is never counted;
// category "" is any category; days must be a literal or a constant so that
// HistoryDays is known. The builtin now() is disabled.
//
// # A decision
//
// Every rule of `any` and of the event's category whose condition holds
// fires (a `fallback` rule only when no other did); the level is the
// highest that fired; each raise that holds moves it up by its steps (red
// stays red) and a relapse raise sets Decision.Relapse; the score is always
// computed and, with the overlay on, its band may raise the level, never
// lower it; the tier is routing[level]. Each firing carries the rule id,
// its level, its labels and the values its condition read (every event.,
// enterprise. and now field and history call) plus its `values`.
//
// # Clocks
//
// Clocks gives the accept, contact and resolve deadlines of a tier entered
// at some moment, and when to remind (ReminderFraction of each limit).
// Limits are wall-clock durations (30m, 2h, 7d) or working days (1wd): N
// working days after a start is the same local time on the Nth working day
// after the start's date, in the calendar's time zone.
package rules
