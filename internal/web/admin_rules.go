package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/rules"
)

// RulesWhatIf is what the rules page's what-if needs besides the
// RulesService: the rules in force and the stored events of a period, as
// `gridwarn rules diff` reads them.
type RulesWhatIf interface {
	// RulesInForce are the rules the engine decides with now.
	RulesInForce() *rules.Rules
	// ReplayEvents streams the events received since a moment about the
	// enterprises v sees, oldest first, with their enterprises.
	ReplayEvents(ctx context.Context, v gridwarn.Visibility, since time.Time, yield func(gridwarn.Event, gridwarn.Enterprise) error) error
}

// maxRulesBytes limits an uploaded or pasted rules file.
const maxRulesBytes = 1 << 20

// adminDiffRows is how many events the what-if lists (it counts them all).
const adminDiffRows = 500

// adminRulesForm is the check/what-if form as submitted.
type adminRulesForm struct {
	YAML string // the pasted text, to correct and resubmit
	Days int
	All  bool
}

type adminRulesView struct {
	Info  gridwarn.RulesInfo
	Rules []rules.Rule // the rules in force
	Form  adminRulesForm
}

// adminRulesPage shows the rules in force: version, file, when they were
// loaded, the last reload's error and the rules; administrators also get
// the reload, check and what-if forms.
func (s *server) adminRulesPage(c *gin.Context) {
	v := adminRulesView{Form: adminRulesForm{Days: 30}}
	if s.svc.Rules != nil {
		v.Info = s.svc.Rules.RulesInfo()
	}
	if s.svc.WhatIf != nil {
		if r := s.svc.WhatIf.RulesInForce(); r != nil {
			v.Rules = r.Rules()
		}
	}
	s.render(c, http.StatusOK, "admin_rules", "admin.rules.title", v)
}

// adminRulesProblem is one problem of a rules file.
type adminRulesProblem struct {
	Line int
	Rule string
	Msg  string
}

type adminRulesCheckView struct {
	Form     adminRulesForm
	Name     string // the file's name
	Message  string // a catalogue key: empty input, too large, bad days
	Problems []adminRulesProblem
	Checked  *rules.Rules // the compiled file when it is valid
}

// readRulesForm reads the uploaded ("file") or pasted ("yaml") rules and
// compiles them with the loader `gridwarn rules check` uses. It renders
// the page itself (and returns nil) when the file cannot be used.
func (s *server) readRulesForm(c *gin.Context, page, title string) (*rules.Rules, *adminRulesCheckView) {
	v := &adminRulesCheckView{Form: adminRulesForm{Days: 30, All: c.PostForm("all") != ""}, Name: "rules.yaml"}
	if d := strings.TrimSpace(c.PostForm("days")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 365 {
			v.Message = "admin.rules.days_invalid"
		}
		v.Form.Days = n
	}
	data, err := adminUpload(c, "file", "yaml", maxRulesBytes)
	switch {
	case errors.Is(err, errUploadTooLarge):
		v.Message = "admin.rules.too_large"
		s.render(c, http.StatusRequestEntityTooLarge, page, title, v)
		return nil, nil
	case err != nil:
		s.fail(c, err)
		return nil, nil
	case len(strings.TrimSpace(string(data))) == 0:
		v.Message = "admin.rules.empty"
	}
	if c.PostForm("yaml") != "" {
		v.Form.YAML = string(data)
	} else if fh, err := c.FormFile("file"); err == nil {
		v.Name = path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
	}
	if v.Message != "" {
		s.render(c, http.StatusBadRequest, page, title, v)
		return nil, nil
	}
	r, err := rules.Parse(data, v.Name)
	var pe *rules.ParseError
	switch {
	case errors.As(err, &pe):
		for _, x := range pe.Errs {
			v.Problems = append(v.Problems, adminRulesProblem{Line: x.Line, Rule: x.Rule, Msg: x.Msg})
		}
		s.render(c, http.StatusBadRequest, page, title, v)
		return nil, nil
	case err != nil:
		s.fail(c, err)
		return nil, nil
	}
	v.Checked = r
	return r, v
}

// adminCheckRules checks a rules file: valid with a summary, or every
// problem with its line and rule id.
func (s *server) adminCheckRules(c *gin.Context) {
	if _, v := s.readRulesForm(c, "admin_rules_check", "admin.rules.check_title"); v != nil {
		s.render(c, http.StatusOK, "admin_rules_check", "admin.rules.check_title", v)
	}
}

type adminDiffRow struct {
	rules.Outcome
	Name string // the enterprise's name
}

type adminDiffView struct {
	adminRulesCheckView
	OldVersion string
	Total      int
	Changed    int
	Counts     []rules.TransitionCount
	Rows       []adminDiffRow
	Truncated  bool
	Limit      int
}

// adminDiffRules is the what-if of a rules file: the events of the last
// days (of the caller's scope) decided under the rules in force and under
// the file, as `gridwarn rules diff`; nothing is written.
func (s *server) adminDiffRules(c *gin.Context) {
	if s.svc.WhatIf == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "the what-if is not available"))
		return
	}
	newR, cv := s.readRulesForm(c, "admin_rules_diff", "admin.rules.diff_title")
	if cv == nil {
		return
	}
	oldR := s.svc.WhatIf.RulesInForce()
	v := adminDiffView{adminRulesCheckView: *cv, OldVersion: oldR.Version(), Limit: adminDiffRows}
	d := rules.NewDiffer(oldR, newR)
	since := s.now().Add(-time.Duration(v.Form.Days) * 24 * time.Hour)
	err := s.svc.WhatIf.ReplayEvents(c.Request.Context(), visibility(c), since, func(ev gridwarn.Event, ent gridwarn.Enterprise) error {
		o := d.Decide(ev, ent)
		if !o.Changed() && !v.Form.All {
			return nil
		}
		if len(v.Rows) == adminDiffRows {
			v.Truncated = true
			return nil
		}
		v.Rows = append(v.Rows, adminDiffRow{Outcome: o, Name: ent.Name})
		return nil
	})
	if err != nil {
		s.fail(c, fmt.Errorf("rules what-if: %w", err))
		return
	}
	v.Total, v.Changed, v.Counts = d.Total(), d.Changed(), d.Counts(v.Form.All)
	s.render(c, http.StatusOK, "admin_rules_diff", "admin.rules.diff_title", v)
}

// adminReloadRules re-reads the rules file; a bad file leaves the rules
// in force, and the page shows why.
func (s *server) adminReloadRules(c *gin.Context) {
	if s.svc.Rules == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "rules reload is not available"))
		return
	}
	if _, err := s.svc.Rules.ReloadRules(); err != nil {
		s.redirect(c, "/ui/admin/rules", "admin.rules.reload_failed", true)
		return
	}
	s.redirect(c, "/ui/admin/rules", "admin.rules.reloaded", false)
}
