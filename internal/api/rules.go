package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// GET /api/v1/rules — the rules in force and the last reload's error.
func (s *server) rulesInfo(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	info := s.svc.Rules.RulesInfo()
	c.JSON(http.StatusOK, info)
}

// POST /api/v1/rules/reload — re-read the rules file. A bad file keeps the
// rules in force and answers 422 with the reason (rule id, line).
func (s *server) reloadRules(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	info, err := s.svc.Rules.ReloadRules()
	if err != nil {
		writeError(c, &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE,
			Message: "the rules file was rejected; the rules in force (" + info.Version + ") stay: " + err.Error(), Err: err})
		return
	}
	c.JSON(http.StatusOK, info)
}

// handDownRequest is the body of POST /api/v1/tickets/{id}/hand-down.
type handDownRequest struct {
	Instructions *string `json:"instructions"`
}

// POST /api/v1/tickets/{id}/hand-down — a higher tier hands the ticket back
// one tier down with instructions; that tier's clocks start again.
func (s *server) handDown(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var req handDownRequest
	if err := decodeJSON(c, s.maxBodyBytes, &req); err != nil {
		writeError(c, err)
		return
	}
	text, err := closeRequest{Note: req.Instructions}.note()
	if err != nil {
		writeError(c, renameField(err, "note", "instructions"))
		return
	}
	t, err := s.svc.Tickets.HandDown(c.Request.Context(), visibility(c), id, actor(c), text)
	respond(c, http.StatusOK, t, err)
}

// renameField renames a field in an invalid-input error.
func renameField(err error, from, to string) error {
	fs := gridwarn.ErrorFields(err)
	for i := range fs {
		if fs[i].Field == from {
			fs[i].Field = to
		}
	}
	return gridwarn.Invalid(gridwarn.ErrorMessage(err), fs...)
}
