package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// readyTimeout bounds one readiness check.
const readyTimeout = 5 * time.Second

// GET /healthz: the process is up.
func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// GET /readyz: the dependencies answer.
func (s *server) readyz(c *gin.Context) {
	if s.svc.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
		defer cancel()
		if err := s.svc.Ready(ctx); err != nil {
			writeError(c, notReady(c, err))
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// notReady turns a failed readiness check into an EUNAVAILABLE error. The
// message of a *gridwarn.Error names the dependency and is shown; any other
// error may hold addresses or credentials, so it is logged, not shown.
func notReady(c *gin.Context, err error) error {
	var e *gridwarn.Error
	if errors.As(err, &e) {
		return &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: e.Message}
	}
	logger(c).Error("not ready", slog.Any("err", err))
	return gridwarn.Errorf(gridwarn.EUNAVAILABLE, "not ready")
}

// GET /metrics: the Prometheus text format, or OpenMetrics for a scraper
// that asks for it (Accept: application/openmetrics-text).
func (s *server) metrics() gin.HandlerFunc {
	return gin.WrapH(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{EnableOpenMetrics: true}))
}

// GET /openapi.yaml
func (s *server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openAPI)
}

// GET /schemas/event-v1.json
func (s *server) eventSchema(c *gin.Context) {
	c.Data(http.StatusOK, "application/schema+json", contract.EventSchemaV1)
}

// OpenAPI is the document served at /openapi.yaml, for the tests that hold
// the running application to it (internal/api/openapicheck).
func OpenAPI() []byte { return openAPI }
