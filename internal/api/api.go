// Package api is the HTTP port of gridwarn: a Gin engine whose routes are
// declared in one place (routes), whose handlers only bind, call one service
// method and write the result, and whose errors all leave through writeError
// as application/problem+json (RFC 9457).
package api

import (
	"context"
	_ "embed"
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// DefaultMaxBodyBytes limits request bodies when Options.MaxBodyBytes is not set.
const DefaultMaxBodyBytes = 1 << 20

// openAPI is the OpenAPI 3.1 document of every route, served at /openapi.yaml.
//
//go:embed openapi.yaml
var openAPI []byte

// Services are what the handlers call.
type Services struct {
	Tickets     gridwarn.TicketService
	DeadLetters gridwarn.DeadLetterService
	// Ready checks the dependencies (database, NATS); nil means ready. To
	// name the failing dependency to the caller, return (or wrap) a
	// *gridwarn.Error whose message names it, e.g.
	// gridwarn.Errorf(gridwarn.EUNAVAILABLE, "database unavailable"); any
	// other error is logged in full and shown only as "not ready".
	Ready func(ctx context.Context) error
}

// Options configure the HTTP layer.
type Options struct {
	// Token is the bearer token required under /api/v1. An empty token
	// refuses every request there.
	Token string
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives request logs (debug) and errors (error); nil discards.
	Logger *slog.Logger
	// Registry is served at /metrics; nil serves an empty registry.
	Registry *prometheus.Registry
}

// server holds what the handlers need.
type server struct {
	svc          Services
	token        string
	maxBodyBytes int64
	log          *slog.Logger
	registry     *prometheus.Registry
}

// New returns the HTTP handler of the API.
func New(s Services, o Options) *gin.Engine {
	srv := &server{svc: s, token: o.Token, maxBodyBytes: o.MaxBodyBytes, log: o.Logger, registry: o.Registry}
	if srv.maxBodyBytes <= 0 {
		srv.maxBodyBytes = DefaultMaxBodyBytes
	}
	if srv.log == nil {
		srv.log = slog.New(slog.DiscardHandler)
	}
	if srv.registry == nil {
		srv.registry = prometheus.NewRegistry()
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	_ = e.SetTrustedProxies(nil) // ClientIP is not used; trust no forwarding header
	e.Use(srv.logRequests, srv.recoverPanics)
	e.NoRoute(srv.noRoute)
	e.NoMethod(srv.noMethod)
	srv.routes(e)
	return e
}

// routes declares every route of the API. Keep openapi.yaml in step:
// TestOpenAPICoversEveryRoute fails on any difference.
func (s *server) routes(e *gin.Engine) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics())
	e.GET("/openapi.yaml", s.openAPI)
	e.GET("/schemas/event-v1.json", s.eventSchema)

	v1 := e.Group("/api/v1", s.requireToken)
	v1.GET("/tickets", s.listTickets)
	v1.GET("/tickets/:id", s.ticket)
	v1.POST("/tickets/:id/close", s.closeTicket)
	v1.GET("/dead-letters", s.listDeadLetters)
}
