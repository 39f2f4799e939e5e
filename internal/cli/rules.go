package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/rules"
)

func newRules(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Short: "Check a rules file and try it on events"}
	var list bool
	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Compile a rules file: print its version and rule count, or every problem with its line",
		Example: `  gridwarn rules check configs/rules.yaml
  gridwarn rules check --list configs/rules.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := loadRules(e, args[0])
			if err != nil {
				return err
			}
			overlay := "off"
			if r.ScoreOverlay() {
				overlay = "on"
			}
			fmt.Fprintf(e.stdout, "%s: version %s, %d rules, history %d days, score overlay %s\n",
				args[0], r.Version(), r.RuleCount(), r.HistoryDays(), overlay)
			if list {
				tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "LINE\tID\tCATEGORY\tLEVEL\tLABEL")
				for _, ru := range r.Rules() {
					cat, level := string(ru.Category), string(ru.Level)
					switch {
					case ru.Raise > 0:
						cat, level = "(raise)", fmt.Sprintf("+%d", ru.Raise)
					case cat == "":
						cat = "any"
					}
					if ru.Fallback {
						level += " (fallback)"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s / %s\n", ru.Line, ru.ID, cat, level, ru.Label.ZH, ru.Label.EN)
				}
				return tw.Flush()
			}
			return nil
		},
	}
	check.Flags().BoolVar(&list, "list", false, "also list the rules")

	var (
		events, defaults, nowFlag string
		asJSON, overlay           bool
	)
	test := &cobra.Command{
		Use:   "test FILE --events F.jsonl",
		Short: "Decide sample events with a rules file and say why (no history, no database)",
		Long: `Reads events (JSON lines, - for standard input), checks each against the
event contract and prints the decision of the rules file: level, tier,
score and every rule that fired with the values it read and its labels.
The history is empty; every event is about an enterprise with the
--enterprise-defaults (keys: headcount, registered_capital_cny,
compliance_grade, key_enterprise, has_union, has_mediation_committee,
industry_code, ownership). Decisions are made at --now (default: now).`,
		Example: `  gridwarn rules test configs/rules.yaml --events internal/rules/testdata/events.jsonl
  gridwarn rules test my-rules.yaml --events - --enterprise-defaults headcount=100,registered_capital_cny=1000000 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ent, err := parseEnterpriseDefaults(defaults)
			if err != nil {
				return usageError{err}
			}
			now := time.Now()
			if nowFlag != "" {
				if now, err = time.Parse(time.RFC3339, nowFlag); err != nil {
					return usageError{fmt.Errorf("--now: want RFC 3339, like 2026-11-20T10:00:00+08:00: %w", err)}
				}
			}
			r, err := loadRules(e, args[0])
			if err != nil {
				return err
			}
			if overlay {
				r = r.WithScoreOverlay(true)
			}
			in := e.stdin
			if events != "-" {
				f, err := os.Open(events)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			return testRules(e, r, in, ent, now, asJSON)
		},
	}
	test.Flags().StringVar(&events, "events", "", "events to decide, JSON lines (- for standard input)")
	test.Flags().StringVar(&defaults, "enterprise-defaults", "headcount=100,registered_capital_cny=1000000",
		"the enterprise of every event, key=value,...")
	test.Flags().StringVar(&nowFlag, "now", "", "decide at this time (RFC 3339; default: now)")
	test.Flags().BoolVar(&asJSON, "json", false, "print each decision as a JSON line")
	test.Flags().BoolVar(&overlay, "score-overlay", false, "let the score raise levels even if the file does not")
	_ = test.MarkFlagRequired("events")
	cmd.AddCommand(check, test, newRulesDiff(e))
	return cmd
}

// loadRules compiles a rules file; its problems go to stderr, one a line.
func loadRules(e *env, path string) (*rules.Rules, error) {
	r, err := rules.Load(path)
	var pe *rules.ParseError
	if errors.As(err, &pe) {
		for _, x := range pe.Errs {
			fmt.Fprintln(e.stderr, x)
		}
		return nil, fmt.Errorf("%s: %d problem(s), the file is rejected", path, len(pe.Errs))
	}
	return r, err
}

func testRules(e *env, r *rules.Rules, in io.Reader, ent gridwarn.Enterprise, now time.Time, asJSON bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line, n, bad := 0, 0, 0
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		n++
		ev, err := contract.ParseEvent(raw)
		if err != nil {
			bad++
			fmt.Fprintf(e.stderr, "line %d: %v\n", line, err)
			continue
		}
		ent.CreditCode = ev.Enterprise
		d, err := r.Evaluate(gridwarn.DecisionInput{Event: ev, Enterprise: ent, Now: now})
		if err != nil {
			fmt.Fprintf(e.stderr, "line %d: %v\n", line, err)
		}
		if asJSON {
			if err := enc.Encode(struct {
				Event    string            `json:"event"`
				Decision gridwarn.Decision `json:"decision"`
			}{ev.ID, d}); err != nil {
				return err
			}
			continue
		}
		printDecision(e.stdout, r, ev, d)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d events break the contract", bad, n)
	}
	return nil
}

func printDecision(w io.Writer, r *rules.Rules, ev gridwarn.Event, d gridwarn.Decision) {
	lb := r.LevelLabel(d.Level)
	relapse := ""
	if d.Relapse {
		relapse = ", relapse"
	}
	fmt.Fprintf(w, "%s  %s  → %s (%s) %s, tier %s, score %d%s\n",
		ev.ID, ev.Category, d.Level, lb.ZH, lb.EN, d.Tier, d.Score, relapse)
	for _, f := range d.Fired {
		fmt.Fprintf(w, "  %-6s %s  %s / %s\n", f.Level, f.Rule, f.LabelZH, f.LabelEN)
		keys := make([]string, 0, len(f.Values))
		for k := range f.Values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := f.Values[k]
			switch x := v.(type) {
			case time.Time:
				v = x.Format(time.RFC3339)
			case float64:
				v = strconv.FormatFloat(x, 'f', -1, 64)
			}
			fmt.Fprintf(w, "         %s = %v\n", k, v)
		}
	}
}

// parseEnterpriseDefaults reads key=value,... into an enterprise.
func parseEnterpriseDefaults(s string) (gridwarn.Enterprise, error) {
	var ent gridwarn.Enterprise
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return ent, fmt.Errorf("--enterprise-defaults: %q is not key=value", kv)
		}
		var err error
		switch k {
		case "headcount":
			ent.Headcount, err = strconv.Atoi(v)
		case "registered_capital_cny":
			ent.RegisteredCapitalCNY, err = strconv.ParseFloat(v, 64)
		case "compliance_grade":
			ent.ComplianceGrade = v
		case "key_enterprise":
			ent.KeyEnterprise, err = strconv.ParseBool(v)
		case "has_union":
			ent.HasUnion, err = strconv.ParseBool(v)
		case "has_mediation_committee":
			ent.HasMediationCommittee, err = strconv.ParseBool(v)
		case "industry_code":
			ent.IndustryCode = v
		case "ownership":
			ent.Ownership = gridwarn.Ownership(v)
		default:
			return ent, fmt.Errorf("--enterprise-defaults: unknown key %q (headcount, registered_capital_cny, compliance_grade, "+
				"key_enterprise, has_union, has_mediation_committee, industry_code, ownership)", k)
		}
		if err != nil {
			return ent, fmt.Errorf("--enterprise-defaults: %s: %w", k, err)
		}
	}
	return ent, nil
}
