package api

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics count the HTTP requests the engine answers, by route template
// (Gin's full path: /api/v1/tickets/:id, never the concrete id, so the
// series stay few), method and status, and time them.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// unmatchedRoute labels requests no route matched (404 and 405), so a scan
// of random paths adds no series.
const unmatchedRoute = "unmatched"

func newHTTPMetrics(reg prometheus.Registerer, log *slog.Logger) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwarn_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gridwarn_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
	}
	var err1, err2 error
	m.requests, err1 = register(reg, m.requests)
	m.duration, err2 = register(reg, m.duration)
	if err := errors.Join(err1, err2); err != nil {
		log.Error("HTTP request metrics are not exported", slog.Any("err", err))
	}
	return m
}

// register registers c, or returns the collector already registered under
// its name (a second engine on the same registry shares the series). On
// any other clash c counts unexported, and the error says why.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// observe is the middleware that counts and times every request.
func (m *httpMetrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = unmatchedRoute
	}
	method := c.Request.Method
	m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
	m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
}
