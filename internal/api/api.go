// Package api is the HTTP port of gridwarn: a Gin engine whose routes are
// declared in one place (routes), whose handlers only bind, call one service
// method and write the result, and whose errors all leave through writeError
// as application/problem+json (RFC 9457).
package api

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// DefaultMaxBodyBytes limits request bodies when Options.MaxBodyBytes is not set.
const DefaultMaxBodyBytes = 1 << 20

// openAPI is the OpenAPI 3.1 document of every route, served at /openapi.yaml.
//
//go:embed openapi.yaml
var openAPI []byte

// Services are what the handlers call.
type Services struct {
	Auth        gridwarn.Authenticator
	Tickets     gridwarn.TicketService
	DeadLetters gridwarn.DeadLetterService
	Registry    gridwarn.RegistryService
	Users       gridwarn.UserService
	Reports     gridwarn.ReportService
	Rules       gridwarn.RulesService
	Work        gridwarn.WorkService
	Summaries   gridwarn.SummaryService
	Privacy     gridwarn.PrivacyService
	Visits      gridwarn.VisitService
	Union       gridwarn.UnionService
	Circulars   gridwarn.CircularService
	// PeriodReports are the monthly pushes and quarterly analyses.
	PeriodReports gridwarn.PeriodReportService
	// Contacts are the "1+x" contact assignments.
	Contacts gridwarn.ContactService
	// Hotline files and reads 12351 cases.
	Hotline gridwarn.HotlineService
	// Feed is the ticket changes for the governance platform.
	Feed gridwarn.FeedService
	// Referrals are the partners' side of referrals (issue 17 item 2).
	Referrals gridwarn.ReferralService
	// Handoffs are the hand-offs between counties (issue 17 item 3).
	Handoffs gridwarn.HandoffService
	// HandoffInbound serves POST /peer/v1/handoffs and
	// /peer/v1/handoffs/replies: the hand-offs and answers that peer
	// deployments send, signed with their key instead of a bearer token
	// (package handoff). nil: not served.
	HandoffInbound http.Handler
	// Ready checks the dependencies (database, NATS); nil means ready. To
	// name the failing dependency to the caller, return (or wrap) a
	// *gridwarn.Error whose message names it, e.g.
	// gridwarn.Errorf(gridwarn.EUNAVAILABLE, "database unavailable"); any
	// other error is logged in full and shown only as "not ready".
	Ready func(ctx context.Context) error
}

// Options configure the HTTP layer.
type Options struct {
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives request logs (debug) and errors (error); nil discards.
	Logger *slog.Logger
	// Registry is served at /metrics; nil serves an empty registry.
	Registry *prometheus.Registry
	// Now and Location are the county's clock and calendar: the current
	// month of a coverage (defaults time.Now, Asia/Shanghai).
	Now      func() time.Time
	Location *time.Location
	// CoverageTargets are the visit coverage targets of a period's kind
	// (nil: none).
	CoverageTargets func(gridwarn.PeriodKind) gridwarn.CoverageTarget
}

// server holds what the handlers need.
type server struct {
	svc          Services
	maxBodyBytes int64
	log          *slog.Logger
	registry     *prometheus.Registry
	now          func() time.Time
	loc          *time.Location
	targets      func(gridwarn.PeriodKind) gridwarn.CoverageTarget
}

// New returns the HTTP handler of the API.
func New(s Services, o Options) *gin.Engine {
	srv := &server{svc: s, maxBodyBytes: o.MaxBodyBytes, log: o.Logger, registry: o.Registry, targets: o.CoverageTargets}
	srv.now, srv.loc = o.clock()
	if srv.targets == nil {
		srv.targets = func(gridwarn.PeriodKind) gridwarn.CoverageTarget { return gridwarn.CoverageTarget{} }
	}
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
	// ClientIP is the peer's address (sign-in throttling counts failures per
	// username and address): trust no forwarding header a client could forge.
	_ = e.SetTrustedProxies(nil)
	e.Use(securityHeaders, newHTTPMetrics(srv.registry, srv.log).observe, srv.logRequests, srv.recoverPanics)
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
	e.GET("/schemas/ticket-change-v1.json", s.ticketChangeSchema)

	// Every /api/v1 route names the action it takes: authz.Table says which
	// roles may take it (403 otherwise) and the caller's scope limits what
	// the service sees (404 outside it).
	// A peer deployment's hand-offs: signed with the key the two counties
	// share, not a bearer token (a peer has no account here).
	if s.svc.HandoffInbound != nil {
		e.POST("/peer/v1/handoffs", gin.WrapH(s.svc.HandoffInbound))
		e.POST("/peer/v1/handoffs/replies", gin.WrapH(s.svc.HandoffInbound))
	}

	v1 := e.Group("/api/v1", s.authenticate)
	v1.GET("/me", s.allow(authz.ReadSelf), s.me)

	v1.POST("/reports", s.allow(authz.CreateReports), s.report)

	v1.GET("/tickets", s.allow(authz.ReadTickets), s.listTickets)
	v1.GET("/tickets/export", s.allow(authz.ReadTickets), s.exportTickets)
	v1.POST("/tickets/bulk-assign", s.allow(authz.ChangeTickets), s.bulk(workflow.ActionAssign))
	v1.POST("/tickets/bulk-merge", s.allow(authz.ChangeTickets), s.bulk(workflow.ActionMerge))
	v1.GET("/tickets/:id", s.allow(authz.ReadTickets), s.ticket)
	v1.GET("/tickets/:id/history", s.allow(authz.ReadTickets), s.history)
	v1.POST("/tickets/:id/reporters", s.allow(authz.ReadIdentities), s.reporters)
	v1.GET("/audit/identity-reads", s.allow(authz.AuditIdentities), s.identityReads)
	v1.POST("/visits", s.allow(authz.RecordVisits), s.recordVisit)
	v1.GET("/visits", s.allow(authz.ReadVisits), s.listVisits)
	v1.GET("/visits/overdue", s.allow(authz.ReadVisits), s.overdueVisits)
	v1.GET("/coverage", s.allow(authz.ReadVisits), s.coverage)
	v1.GET("/contacts", s.allow(authz.ReadContacts), s.listContacts)
	v1.POST("/contacts", s.allow(authz.WriteContacts), s.assignContact)
	v1.POST("/contacts/import", s.allow(authz.WriteContacts), s.importContacts)
	v1.GET("/contacts/:id", s.allow(authz.ReadContacts), s.contact)
	v1.PUT("/contacts/:id", s.allow(authz.WriteContacts), s.putContact)
	v1.POST("/contacts/:id/end", s.allow(authz.WriteContacts), s.endContact)
	v1.PUT("/enterprises/:code/union", s.allow(authz.WriteRegistry), s.putUnionStatus)
	v1.POST("/enterprises/union/import", s.allow(authz.WriteRegistry), s.importUnionStatus)
	v1.GET("/unionization", s.allow(authz.ReadSummaries), s.unionization)
	v1.GET("/circulars/unionization", s.allow(authz.ReadSummaries), s.listCirculars)
	v1.GET("/summaries/monthly", s.allow(authz.ReadSummaries), s.listReports(gridwarn.PeriodMonth))
	v1.GET("/summaries/monthly/:period", s.allow(authz.ReadSummaries), s.periodReport(gridwarn.PeriodMonth))
	v1.GET("/summaries/quarterly", s.allow(authz.ReadSummaries), s.listReports(gridwarn.PeriodQuarter))
	v1.GET("/summaries/quarterly/:period", s.allow(authz.ReadSummaries), s.periodReport(gridwarn.PeriodQuarter))
	v1.GET("/circulars/unionization/:period", s.allow(authz.ReadSummaries), s.circular)
	v1.POST("/hotline/cases", s.allow(authz.FileHotlineCases), s.fileHotlineCase)
	v1.GET("/hotline/cases", s.allow(authz.ReadHotlineCases), s.listHotlineCases)
	v1.GET("/hotline/counts", s.allow(authz.ReadHotlineCases), s.hotlineCounts)
	v1.GET("/hotline/cases/:id", s.allow(authz.ReadHotlineCases), s.hotlineCase)
	v1.POST("/hotline/cases/:id/link", s.allow(authz.LinkHotlineCases), s.linkHotlineCase)
	v1.GET("/queue", s.allow(authz.ChangeTickets), s.queue)
	v1.POST("/queue/claim", s.allow(authz.ChangeTickets), s.claimNext)
	// The state machine's actions (internal/workflow), one route each; every
	// one needs If-Match with the ticket's ETag.
	v1.POST("/tickets/:id/claim", s.allow(authz.ChangeTickets), s.action(workflow.ActionClaim))
	v1.POST("/tickets/:id/unclaim", s.allow(authz.ChangeTickets), s.action(workflow.ActionUnclaim))
	v1.POST("/tickets/:id/assign", s.allow(authz.ChangeTickets), s.action(workflow.ActionAssign))
	v1.POST("/tickets/:id/dispatch", s.allow(authz.ChangeTickets), s.action(workflow.ActionDispatch))
	v1.POST("/tickets/:id/accept", s.allow(authz.ChangeTickets), s.action(workflow.ActionAccept))
	v1.POST("/tickets/:id/start", s.allow(authz.ChangeTickets), s.action(workflow.ActionStart))
	v1.POST("/tickets/:id/reply", s.allow(authz.ChangeTickets), s.action(workflow.ActionReply))
	v1.POST("/tickets/:id/review", s.allow(authz.ChangeTickets), s.action(workflow.ActionReview))
	v1.POST("/tickets/:id/callback", s.allow(authz.ChangeTickets), s.action(workflow.ActionCallback))
	v1.POST("/tickets/:id/close", s.allow(authz.ChangeTickets), s.action(workflow.ActionClose))
	v1.POST("/tickets/:id/return", s.allow(authz.ChangeTickets), s.action(workflow.ActionReturn))
	v1.POST("/tickets/:id/escalate", s.allow(authz.ChangeTickets), s.action(workflow.ActionEscalate))
	v1.POST("/tickets/:id/hand-down", s.allow(authz.ChangeTickets), s.action(workflow.ActionHandDown))
	v1.POST("/tickets/:id/extend", s.allow(authz.ChangeTickets), s.action(workflow.ActionExtend))
	v1.POST("/tickets/:id/reopen", s.allow(authz.ChangeTickets), s.action(workflow.ActionReopen))
	v1.POST("/tickets/:id/merge", s.allow(authz.ChangeTickets), s.action(workflow.ActionMerge))
	v1.POST("/tickets/:id/refer", s.allow(authz.ChangeTickets), s.action(workflow.ActionRefer))
	v1.POST("/tickets/:id/notes", s.allow(authz.ChangeTickets), s.action(workflow.ActionNote))
	v1.POST("/tickets/:id/contacts", s.allow(authz.ChangeTickets), s.action(workflow.ActionContact))
	v1.POST("/tickets/:id/follow-ups", s.allow(authz.ChangeTickets), s.action(workflow.ActionFollowUp))
	v1.POST("/tickets/:id/handoff", s.allow(authz.ChangeTickets), s.handOff)

	// Hand-offs between counties: both counties' mediators and leaders.
	v1.GET("/handoffs", s.allow(authz.ChangeTickets), s.listHandoffs)
	v1.GET("/handoffs/:id", s.allow(authz.ChangeTickets), s.handoff)
	v1.POST("/handoffs/:id/accept", s.allow(authz.ChangeTickets), s.answerHandoff(true))
	v1.POST("/handoffs/:id/decline", s.allow(authz.ChangeTickets), s.answerHandoff(false))

	v1.GET("/units", s.allow(authz.ReadRegistry), s.listUnits)
	v1.GET("/units/:code", s.allow(authz.ReadRegistry), s.unit)
	v1.PUT("/units/:code", s.allow(authz.WriteRegistry), s.putUnit)
	v1.GET("/grids", s.allow(authz.ReadRegistry), s.listGrids)
	v1.GET("/grids/:code", s.allow(authz.ReadRegistry), s.grid)
	v1.PUT("/grids/:code", s.allow(authz.WriteRegistry), s.putGrid)
	v1.GET("/enterprises", s.allow(authz.ReadRegistry), s.listEnterprises)
	v1.GET("/enterprises/:code", s.allow(authz.ReadRegistry), s.enterprise)
	v1.PUT("/enterprises/:code", s.allow(authz.WriteRegistry), s.putEnterprise)
	v1.POST("/enterprises/import", s.allow(authz.WriteRegistry), s.importEnterprises)
	v1.GET("/enterprises/export", s.allow(authz.ReadRegistry), s.exportEnterprises)

	v1.GET("/users", s.allow(authz.ReadUsers), s.listUsers)
	v1.POST("/users", s.allow(authz.WriteUsers), s.createUser)
	v1.GET("/users/:id", s.allow(authz.ReadUsers), s.user)
	v1.PUT("/users/:id/identity-reader", s.allow(authz.WriteUsers), s.setIdentityReader)
	v1.GET("/users/:id/tokens", s.allow(authz.ReadUsers), s.listTokens)
	v1.POST("/users/:id/tokens", s.allow(authz.WriteUsers), s.createToken)
	v1.POST("/tokens/:id/revoke", s.allow(authz.WriteUsers), s.revokeToken)

	v1.GET("/dead-letters", s.allow(authz.ReadDeadLetters), s.listDeadLetters)

	v1.GET("/feed", s.allow(authz.ReadFeed), s.feed)
	v1.POST("/platforms", s.allow(authz.WriteUsers), s.createPlatform)

	v1.GET("/summaries/weekly", s.allow(authz.ReadSummaries), s.listSummaries)
	v1.GET("/summaries/weekly/:week", s.allow(authz.ReadSummaries), s.weeklySummary)

	// Referrals whose outcome comes back: the receiving bodies' tokens.
	v1.GET("/partners", s.allow(authz.ReadUsers), s.listPartners)
	v1.POST("/partners", s.allow(authz.WriteUsers), s.createPartner)
	v1.GET("/referrals", s.allow(authz.ReadReferrals), s.listReferrals)
	v1.GET("/referrals/:id", s.allow(authz.ReadReferrals), s.referral)
	v1.POST("/referrals/:id/updates", s.allow(authz.UpdateReferrals), s.postReferralUpdate)
	v1.POST("/referrals/commissions", s.allow(authz.UpdateReferrals), s.commission)

	v1.GET("/rules", s.allow(authz.ReadRules), s.rulesInfo)
	v1.POST("/rules/reload", s.allow(authz.ManageRules), s.reloadRules)
}
