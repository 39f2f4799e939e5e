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
