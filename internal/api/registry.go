package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var (
	unitCodeRE = regexp.MustCompile(`^[0-9]{6}([0-9]{3})?$`)
	gridCodeRE = regexp.MustCompile(`^[0-9]{9}-[PIJ][0-9]{2,}$`)
	townCodeRE = regexp.MustCompile(`^[0-9]{9}$`)
	searchRE   = regexp.MustCompile(`^[^\x00%_\\\x{FFFD}]{1,100}$`)
)

// pathCode reads the path parameter "code" and checks its shape.
func pathCode(c *gin.Context, re *regexp.Regexp, what string) (string, error) {
	code := c.Param("code")
	if !re.MatchString(code) {
		return "", gridwarn.Invalid("invalid code", gridwarn.FieldError{Field: "code", Rule: "pattern", Message: "is not " + what})
	}
	return code, nil
}

// GET /api/v1/units
func (s *server) listUnits(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	us, err := s.svc.Registry.Units(c.Request.Context(), visibility(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.Unit]{Items: nonNil(us)})
}

// GET /api/v1/units/{code}
func (s *server) unit(c *gin.Context) {
	code, err := pathCode(c, unitCodeRE, "a 6- or 9-digit unit code")
	if err != nil {
		writeError(c, err)
		return
	}
	u, err := s.svc.Registry.Unit(c.Request.Context(), visibility(c), code)
	respond(c, http.StatusOK, u, err)
}

// unitBody is what a client may set on a unit; the code comes from the path.
type unitBody struct {
	Kind       gridwarn.UnitKind `json:"kind"`
	TownType   gridwarn.TownType `json:"town_type"`
	ParentCode string            `json:"parent_code"`
	NameZH     string            `json:"name_zh"`
	NameEN     string            `json:"name_en"`
}

// PUT /api/v1/units/{code}
func (s *server) putUnit(c *gin.Context) {
	code, err := pathCode(c, unitCodeRE, "a 6- or 9-digit unit code")
	if err != nil {
		writeError(c, err)
		return
	}
	var b unitBody
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	u, err := s.svc.Registry.PutUnit(c.Request.Context(), visibility(c), gridwarn.Unit{
		Code: code, Kind: b.Kind, TownType: b.TownType, ParentCode: b.ParentCode, NameZH: b.NameZH, NameEN: b.NameEN})
	respond(c, http.StatusOK, u, err)
}

// GET /api/v1/grids
func (s *server) listGrids(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "town", "kind", "limit", "cursor")
	f := gridwarn.GridFilter{
		TownCode: q.match("town", townCodeRE, "must be a 9-digit town code"),
		Kind:     enumParam(q, "kind", gridwarn.GridKinds),
		Limit:    q.limit(),
	}
	if cur := q.get("cursor"); cur != "" {
		f.After = decodeStringCursor(q, gridCursor, cur)
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	limit := f.Limit
	f.Limit++
	gs, err := s.svc.Registry.Grids(c.Request.Context(), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, stringPage(gs, limit, gridCursor, func(g gridwarn.Grid) string { return g.Code }))
}

// GET /api/v1/grids/{code}
func (s *server) grid(c *gin.Context) {
	code, err := pathCode(c, gridCodeRE, "a grid code such as 320924100-J01")
	if err != nil {
		writeError(c, err)
		return
	}
	g, err := s.svc.Registry.Grid(c.Request.Context(), visibility(c), code)
	respond(c, http.StatusOK, g, err)
}

// gridBody is what a client may set on a grid; the code comes from the path.
type gridBody struct {
	TownCode string            `json:"town_code"`
	Kind     gridwarn.GridKind `json:"kind"`
	Name     string            `json:"name"`
	Industry string            `json:"industry"`
	Workers  []string          `json:"workers"`
}

// PUT /api/v1/grids/{code}
func (s *server) putGrid(c *gin.Context) {
	code, err := pathCode(c, gridCodeRE, "a grid code such as 320924100-J01")
	if err != nil {
		writeError(c, err)
		return
	}
	var b gridBody
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	if b.Workers != nil {
		if err := authz.Check(principal(c), authz.WriteGridWorkers); err != nil {
			writeError(c, err)
			return
		}
	}
	g, err := s.svc.Registry.PutGrid(c.Request.Context(), visibility(c), gridwarn.Grid{
		Code: code, TownCode: b.TownCode, Kind: b.Kind, Name: b.Name, Industry: b.Industry, Workers: b.Workers})
	respond(c, http.StatusOK, g, err)
}

// GET /api/v1/enterprises
func (s *server) listEnterprises(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "town", "grid", "q", "limit", "cursor")
	f := gridwarn.EnterpriseFilter{
		TownCode: q.match("town", townCodeRE, "must be a 9-digit town code"),
		GridCode: q.match("grid", gridCodeRE, "must be a grid code"),
		// \x{FFFD} also stands for any byte that is not UTF-8 (which the
		// database would refuse).
		Query: q.match("q", searchRE, "must be 1–100 characters of UTF-8 without % _ \\"),
		Limit: q.limit(),
	}
	if cur := q.get("cursor"); cur != "" {
		f.After = decodeStringCursor(q, enterpriseCursor, cur)
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	limit := f.Limit
	f.Limit++
	es, err := s.svc.Registry.Enterprises(c.Request.Context(), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, stringPage(es, limit, enterpriseCursor, func(e gridwarn.Enterprise) string { return e.CreditCode }))
}

// GET /api/v1/enterprises/{code}
func (s *server) enterprise(c *gin.Context) {
	code, err := pathCode(c, enterpriseCode, "an 18-character unified social credit code")
	if err != nil {
		writeError(c, err)
		return
	}
	e, err := s.svc.Registry.Enterprise(c.Request.Context(), visibility(c), code)
	respond(c, http.StatusOK, e, err)
}

// enterpriseBody is what a client may set on an enterprise; the credit
// code comes from the path, updated_at from the server.
type enterpriseBody struct {
	Name                  string             `json:"name"`
	IndustryCode          string             `json:"industry_code"`
	Ownership             gridwarn.Ownership `json:"ownership"`
	Headcount             int                `json:"headcount"`
	HasUnion              bool               `json:"has_union"`
	HasMediationCommittee bool               `json:"has_mediation_committee"`
	ComplianceGrade       string             `json:"compliance_grade"`
	RegisteredCapitalCNY  float64            `json:"registered_capital_cny"`
	KeyEnterprise         bool               `json:"key_enterprise"`
	TownCode              string             `json:"town_code"`
	GridCode              string             `json:"grid_code"`
	Village               string             `json:"village"`
}

// PUT /api/v1/enterprises/{code}
func (s *server) putEnterprise(c *gin.Context) {
	code := c.Param("code")
	if err := gridwarn.ValidateCreditCode(code); err != nil {
		writeError(c, gridwarn.Invalid("invalid credit code", gridwarn.FieldError{Field: "code", Rule: "credit_code", Message: err.Error()}))
		return
	}
	var b enterpriseBody
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	e, err := s.svc.Registry.PutEnterprise(c.Request.Context(), visibility(c), gridwarn.Enterprise{
		CreditCode: code, Name: b.Name, IndustryCode: b.IndustryCode, Ownership: b.Ownership, Headcount: b.Headcount,
		HasUnion: b.HasUnion, HasMediationCommittee: b.HasMediationCommittee, ComplianceGrade: b.ComplianceGrade,
		RegisteredCapitalCNY: b.RegisteredCapitalCNY, KeyEnterprise: b.KeyEnterprise, TownCode: b.TownCode, GridCode: b.GridCode,
		Village: b.Village,
	})
	respond(c, http.StatusOK, e, err)
}

// POST /api/v1/enterprises/import?dry_run=true — a UTF-8 CSV body
// (text/csv) with English or Chinese headers; all rows or none.
func (s *server) importEnterprises(c *gin.Context) {
	csvImport(c, s, csvio.ReadEnterprises, s.svc.Registry.ImportEnterprises)
}

// csvImport answers an import: ?dry_run=true|false, a text/csv body read
// by read (its problems per line as 400), applied by apply inside the
// caller's scope; all rows or none.
func csvImport[T any](c *gin.Context, s *server, read func(io.Reader) ([]T, error),
	apply func(context.Context, gridwarn.Visibility, []T, bool) (gridwarn.ImportResult, error)) {
	csvImportAsOf(c, s, read, func(ctx context.Context, v gridwarn.Visibility, rows []T, _ string, dry bool) (gridwarn.ImportResult, error) {
		return apply(ctx, v, rows, dry)
	}, false)
}

// csvImportAsOf is csvImport of a file that may be a list of a day
// (dated: the as_of parameter, YYYY-MM-DD; the service checks it).
func csvImportAsOf[T any](c *gin.Context, s *server, read func(io.Reader) ([]T, error),
	apply func(context.Context, gridwarn.Visibility, []T, string, bool) (gridwarn.ImportResult, error), dated bool) {
	allowed := []string{"dry_run"}
	if dated {
		allowed = append(allowed, "as_of")
	}
	q := parseQuery(c.Request.URL.RawQuery, allowed...)
	dry := q.get("dry_run")
	if dry != "" && dry != "true" && dry != "false" {
		q.fail("dry_run", "enum", "must be true or false")
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	body, err := readBody(c, s.maxBodyBytes*64, "text/csv")
	if err != nil {
		writeError(c, err)
		return
	}
	rows, err := read(body)
	if err != nil {
		writeError(c, csvError(err))
		return
	}
	res, err := apply(c.Request.Context(), visibility(c), rows, q.get("as_of"), dry == "true")
	respond(c, http.StatusOK, &res, err)
}

// GET /api/v1/enterprises/export — every enterprise the caller sees, as CSV.
func (s *server) exportEnterprises(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	var es []gridwarn.Enterprise
	if err := s.svc.Registry.ExportEnterprises(c.Request.Context(), visibility(c), func(e gridwarn.Enterprise) error {
		es = append(es, e)
		return nil
	}); err != nil {
		writeError(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="enterprises.csv"`)
	c.Status(http.StatusOK)
	_, _ = c.Writer.WriteString(csvio.BOM) // Excel on Chinese Windows needs it to read UTF-8; csvio skips it on import
	if err := csvio.WriteEnterprises(c.Writer, es); err != nil {
		logger(c).Error("export enterprises", "err", err)
	}
}

// csvError turns csvio's row errors into field errors named by line and column.
func csvError(err error) error {
	var rows csvio.Errors
	if !errors.As(err, &rows) {
		return gridwarn.Invalid("unreadable CSV", gridwarn.FieldError{Field: "", Rule: "csv", Message: err.Error()})
	}
	fs := make([]gridwarn.FieldError, 0, len(rows))
	for _, r := range rows {
		f := gridwarn.FieldError{Field: "line " + strconv.Itoa(r.Line), Rule: "row", Message: r.Reason}
		if r.Column != "" { // a problem with a cell, not with the whole line
			f.Field += ": " + r.Column
		}
		if r.Value != "" {
			f.Message += " (value " + strconv.Quote(r.Value) + ")"
		}
		fs = append(fs, f)
	}
	return gridwarn.Invalid("the file has row errors; nothing was imported", fs...)
}
