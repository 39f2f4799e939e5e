package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The registry's pages: the towns, the grids and the enterprises of the
// caller's scope, one enterprise with its edit form, and the CSV import
// (the API's and the CLI's format, csvio).

type adminUnitsView struct {
	Units  []gridwarn.Unit
	Labels map[string]string
}

// adminUnitsPage lists the county and towns the caller sees.
func (s *server) adminUnitsPage(c *gin.Context) {
	units, err := s.svc.Registry.Units(c.Request.Context(), visibility(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	v := adminUnitsView{Units: units, Labels: map[string]string{}}
	for _, u := range units {
		v.Labels[u.Code] = adminUnitLabel(u, lang(c))
	}
	s.render(c, http.StatusOK, "admin_units", "admin.units.title", v)
}

type adminGridsView struct {
	Town, Kind string
	Towns      []adminOption
	Kinds      []gridwarn.GridKind
	Labels     map[string]string
	Grids      []gridwarn.Grid
	More       string
	First      bool
	Errors     []gridwarn.FieldError
}

// adminGridsPage lists grids by code, filtered by town and kind.
func (s *server) adminGridsPage(c *gin.Context) {
	q := newAdminQuery(c)
	f := gridwarn.GridFilter{
		TownCode: q.match("town", adminTownRE, "must be a 9-digit town code"),
		Kind:     adminPick(q.q.Get("kind"), gridwarn.GridKinds),
		After:    q.match("cursor", adminGridRE, "is not a grid code"),
		Limit:    adminPageSize + 1,
	}
	grids, err := s.svc.Registry.Grids(c.Request.Context(), visibility(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	towns, labels, err := s.adminUnits(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := adminGridsView{Town: f.TownCode, Kind: string(f.Kind), Towns: towns, Kinds: gridwarn.GridKinds, Labels: labels,
		First: f.After == "", Errors: q.errors}
	if len(grids) > adminPageSize {
		grids = grids[:adminPageSize]
		v.More = q.next("/ui/admin/grids", grids[len(grids)-1].Code)
	}
	v.Grids = grids
	s.render(c, q.status(), "admin_grids", "admin.grids.title", v)
}

type adminEnterprisesView struct {
	Query, Town, Grid string
	Towns             []adminOption
	Labels            map[string]string
	Enterprises       []gridwarn.Enterprise
	More              string
	First             bool
	Errors            []gridwarn.FieldError
	CSV               string // the import form's
	DryRun            bool
}

// adminEnterprisesPage searches the enterprises by name or credit code,
// town and grid; administrators also get the import form.
func (s *server) adminEnterprisesPage(c *gin.Context) {
	q := newAdminQuery(c)
	f := gridwarn.EnterpriseFilter{
		TownCode: q.match("town", adminTownRE, "must be a 9-digit town code"),
		GridCode: q.match("grid", adminGridRE, "must be a grid code such as 320924100-J01"),
		Query:    q.match("q", adminSearchRE, "must be 1–100 characters without % _ \\"),
		After:    q.match("cursor", adminCodeRE, "is not a credit code"),
		Limit:    adminPageSize + 1,
	}
	es, err := s.svc.Registry.Enterprises(c.Request.Context(), visibility(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	towns, labels, err := s.adminUnits(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := adminEnterprisesView{Query: f.Query, Town: f.TownCode, Grid: f.GridCode, Towns: towns, Labels: labels,
		First: f.After == "", Errors: q.errors, DryRun: true}
	if len(es) > adminPageSize {
		es = es[:adminPageSize]
		v.More = q.next("/ui/admin/enterprises", es[len(es)-1].CreditCode)
	}
	v.Enterprises = es
	s.render(c, q.status(), "admin_enterprises", "admin.enterprises.title", v)
}

// adminExportEnterprises downloads every enterprise the caller sees as
// the CSV file the import reads back.
func (s *server) adminExportEnterprises(c *gin.Context) {
	var es []gridwarn.Enterprise
	if err := s.svc.Registry.ExportEnterprises(c.Request.Context(), visibility(c), func(e gridwarn.Enterprise) error {
		es = append(es, e)
		return nil
	}); err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(csvio.BOM) // Excel needs it to read UTF-8; the import skips it
	if err := csvio.WriteEnterprises(&buf, es); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="enterprises.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// adminEnterpriseForm is the edit form as submitted (or as stored).
type adminEnterpriseForm struct {
	Name, IndustryCode, Ownership, Grade, Capital, Headcount, Town, Grid, Village string
	Union, Committee, Key                                                         bool
}

type adminEnterpriseView struct {
	Enterprise gridwarn.Enterprise
	Form       adminEnterpriseForm
	Towns      []adminOption
	Labels     map[string]string
	Ownerships []gridwarn.Ownership
	Grades     []string
	Errors     []gridwarn.FieldError
}

func formOfEnterprise(e gridwarn.Enterprise) adminEnterpriseForm {
	return adminEnterpriseForm{Name: e.Name, IndustryCode: e.IndustryCode, Ownership: string(e.Ownership),
		Grade: e.ComplianceGrade, Capital: strconv.FormatFloat(e.RegisteredCapitalCNY, 'f', -1, 64),
		Headcount: strconv.Itoa(e.Headcount), Town: e.TownCode, Grid: e.GridCode, Village: e.Village,
		Union: e.HasUnion, Committee: e.HasMediationCommittee, Key: e.KeyEnterprise}
}

// adminEnterprisePage shows one enterprise (404 outside the caller's
// scope) and, to administrators, its edit form.
func (s *server) adminEnterprisePage(c *gin.Context) {
	s.renderEnterprise(c, http.StatusOK, nil, nil)
}

// renderEnterprise shows the enterprise of the path; form and errs are a
// rejected edit's.
func (s *server) renderEnterprise(c *gin.Context, status int, form *adminEnterpriseForm, errs []gridwarn.FieldError) {
	code := c.Param("code")
	if !adminCodeRE.MatchString(code) {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "enterprise not found"))
		return
	}
	e, err := s.svc.Registry.Enterprise(c.Request.Context(), visibility(c), code)
	if err != nil {
		s.fail(c, err)
		return
	}
	towns, labels, err := s.adminUnits(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := adminEnterpriseView{Enterprise: *e, Form: formOfEnterprise(*e), Towns: towns, Labels: labels,
		Ownerships: gridwarn.Ownerships, Grades: []string{"A", "B", "C"}, Errors: errs}
	if form != nil {
		v.Form = *form
	}
	s.render(c, status, "admin_enterprise", "admin.enterprise.title", v)
}

// adminPutEnterprise saves the edit form (RegistryService.PutEnterprise,
// as the API's PUT).
func (s *server) adminPutEnterprise(c *gin.Context) {
	code := c.Param("code")
	if !adminCodeRE.MatchString(code) {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "enterprise not found"))
		return
	}
	f, e, fs, err := readEnterpriseForm(c, code)
	if err != nil {
		s.fail(c, err)
		return
	}
	if fs != nil {
		s.renderEnterprise(c, http.StatusBadRequest, &f, fs)
		return
	}
	if _, err := s.svc.Registry.PutEnterprise(c.Request.Context(), visibility(c), e); err != nil {
		if gridwarn.ErrorCode(err) == gridwarn.EINVALID {
			s.renderEnterprise(c, http.StatusBadRequest, &f, gridwarn.ErrorFields(err))
			return
		}
		s.fail(c, err)
		return
	}
	s.redirect(c, "/ui/admin/enterprises/"+code, "admin.enterprise.saved", false)
}

// readEnterpriseForm reads the enterprise form of the request for the
// enterprise code: the form as typed, the enterprise, and the form's
// problems (nil when there are none). The hotline's "create, then link"
// form reads the same fields.
func readEnterpriseForm(c *gin.Context, code string) (adminEnterpriseForm, gridwarn.Enterprise, []gridwarn.FieldError, error) {
	f := adminEnterpriseForm{
		Name: strings.TrimSpace(c.PostForm("name")), IndustryCode: strings.TrimSpace(c.PostForm("industry_code")),
		Ownership: c.PostForm("ownership"), Grade: c.PostForm("compliance_grade"),
		Capital: strings.TrimSpace(c.PostForm("registered_capital_cny")), Headcount: strings.TrimSpace(c.PostForm("headcount")),
		Town: strings.TrimSpace(c.PostForm("town_code")), Grid: strings.TrimSpace(c.PostForm("grid_code")),
		Village: strings.TrimSpace(c.PostForm("village")),
		Union:   c.PostForm("has_union") != "", Committee: c.PostForm("has_mediation_committee") != "", Key: c.PostForm("key_enterprise") != "",
	}
	// The form is read as a one-row import file, so that each value is
	// checked by the same parsers as an import (csvio) and the errors name
	// the same columns as the form's fields.
	var buf bytes.Buffer
	if err := csvio.WriteEnterprises(&buf, nil); err != nil {
		return f, gridwarn.Enterprise{}, nil, err
	}
	row := []string{code, f.Name, f.IndustryCode, f.Ownership, f.Headcount, strconv.FormatBool(f.Union),
		strconv.FormatBool(f.Committee), f.Grade, f.Capital, strconv.FormatBool(f.Key), f.Town, f.Grid, f.Village}
	for i, cell := range row {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(csvQuote(cell))
	}
	buf.WriteByte('\n')
	es, err := csvio.ReadEnterprises(&buf)
	if err != nil {
		var rows csvio.Errors
		if !errors.As(err, &rows) {
			return f, gridwarn.Enterprise{}, nil, err
		}
		fs := []gridwarn.FieldError{}
		for _, r := range rows {
			// No rule: the message is already in the page's language.
			fs = append(fs, gridwarn.FieldError{Field: r.Column, Message: csvReason(lang(c), r.Problem)})
		}
		return f, gridwarn.Enterprise{}, fs, nil
	}
	return f, es[0], nil, nil
}

// csvQuote quotes a cell for a CSV line.
func csvQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// maxImportBytes limits an uploaded or pasted CSV (the form's limit is a
// little larger).
const maxImportBytes = maxFormBytes - 64<<10

// adminImportRow is one problem of an import: where, what and why.
type adminImportRow struct {
	Line   int    // 0 when the service names a record rather than a line
	Record string // "record 3 (credit code)" or the service's field
	Column string
	Value  string
	Reason string
}

type adminImportView struct {
	Result  *gridwarn.ImportResult
	Message string // the service's message when it refused the file
	Rows    []adminImportRow
	DryRun  bool
	CSV     string // the pasted text, to correct and resubmit
}

// adminImportEnterprises imports a CSV of enterprises: a file upload
// ("file") or pasted text ("csv"), optionally as a dry run. The file is
// read with csvio (every row's problems at once), then imported in one
// transaction: every row or none.
func (s *server) adminImportEnterprises(c *gin.Context) {
	v := adminImportView{DryRun: c.PostForm("dry_run") != ""}
	data, err := adminUpload(c, "file", "csv", maxImportBytes)
	switch {
	case errors.Is(err, errUploadTooLarge):
		s.render(c, http.StatusRequestEntityTooLarge, "admin_import", "admin.import.title", adminImportView{Message: "admin.import.too_large"})
		return
	case err != nil:
		s.fail(c, err)
		return
	case len(bytes.TrimSpace(data)) == 0:
		s.render(c, http.StatusBadRequest, "admin_import", "admin.import.title", adminImportView{Message: "admin.import.empty", DryRun: v.DryRun})
		return
	}
	if c.PostForm("csv") != "" {
		v.CSV = string(data)
	}
	es, err := csvio.ReadEnterprises(bytes.NewReader(data))
	if err != nil {
		var rows csvio.Errors
		if !errors.As(err, &rows) {
			s.fail(c, err)
			return
		}
		for _, r := range rows {
			v.Rows = append(v.Rows, adminImportRow{Line: r.Line, Column: r.Column, Value: r.Value, Reason: csvReason(lang(c), r.Problem)})
		}
		s.render(c, http.StatusBadRequest, "admin_import", "admin.import.title", v)
		return
	}
	res, err := s.svc.Registry.ImportEnterprises(c.Request.Context(), visibility(c), es, v.DryRun)
	if err != nil {
		if gridwarn.ErrorCode(err) != gridwarn.EINVALID && gridwarn.ErrorCode(err) != gridwarn.EUNPROCESSABLE {
			s.fail(c, err)
			return
		}
		status, _ := api.Status(err)
		v.Rows = importFieldRows(lang(c), es, gridwarn.ErrorFields(err))
		if len(v.Rows) == 0 {
			v.Rows = []adminImportRow{{Record: catalogue[lang(c)]["admin.import.whole_file"], Reason: errorDetail(lang(c), err)}}
		}
		s.render(c, status, "admin_import", "admin.import.title", v)
		return
	}
	v.Result = &res
	s.render(c, http.StatusOK, "admin_import", "admin.import.title", v)
}

// recordField is a service field error's "[3].town_code": the record's
// index and its field.
var recordField = regexp.MustCompile(`^\[(\d+)\]\.(.+)$`)

// importFieldRows turns the import service's field errors into rows that
// name the record (number and credit code) they are about.
func importFieldRows(l string, es []gridwarn.Enterprise, fs []gridwarn.FieldError) []adminImportRow {
	var out []adminImportRow
	for _, f := range fs {
		r := adminImportRow{Column: fieldLabel(l, f.Field), Reason: ruleText(l, f)}
		if m := recordField.FindStringSubmatch(f.Field); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < len(es) {
				r.Record = fmt.Sprintf(catalogue[l]["admin.import.record"], i+1, es[i].CreditCode)
				r.Column = fieldLabel(l, m[2])
				if f.Rule == gridwarn.RuleCreditCode {
					r.Reason = creditCodeText(l, es[i].CreditCode)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

var errUploadTooLarge = errors.New("upload too large")

// adminUpload reads a form's file (field fileField) or, when no file was
// chosen, its text (field textField), up to limit bytes.
func adminUpload(c *gin.Context, fileField, textField string, limit int64) ([]byte, error) {
	fh, err := c.FormFile(fileField)
	switch {
	case err == nil && fh.Size > 0:
		if fh.Size > limit {
			return nil, errUploadTooLarge
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, limit+1))
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > limit {
			return nil, errUploadTooLarge
		}
		return data, nil
	case err != nil && !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart):
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, errUploadTooLarge
		}
		return nil, gridwarn.Errorf(gridwarn.EINVALID, "the form could not be read")
	}
	text := c.PostForm(textField)
	if int64(len(text)) > limit {
		return nil, errUploadTooLarge
	}
	return []byte(text), nil
}
