package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestHTTPMetrics: every request is counted by its route template, method
// and status and timed; a path no route matches is "unmatched"; /metrics
// answers OpenMetrics to a scraper that asks for it, the text format
// otherwise.
func TestHTTPMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := mustNewAPI(t, 3, 0, nil, reg)
	a.do(t, request{target: "/api/v1/tickets/1"})
	a.do(t, request{target: "/api/v1/tickets/2"})
	a.do(t, request{target: "/api/v1/tickets/99999"})
	a.do(t, request{target: "/api/v1/no-such-thing/12345"})
	noAuth := ptr("")

	rec := a.do(t, request{target: "/metrics", auth: noAuth,
		header: map[string]string{"Accept": "application/openmetrics-text; version=1.0.0"}})
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("Content-Type %q, want OpenMetrics", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`gridwarn_http_requests_total{method="GET",route="/api/v1/tickets/:id",status="200"} 2`,
		`gridwarn_http_requests_total{method="GET",route="/api/v1/tickets/:id",status="404"} 1`,
		`gridwarn_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`gridwarn_http_request_duration_seconds_count{method="GET",route="/api/v1/tickets/:id"} 3`,
		`gridwarn_http_request_duration_seconds_bucket{method="GET",route="/api/v1/tickets/:id",le="+Inf"} 3`,
		"# EOF",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("OpenMetrics answer lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "/api/v1/tickets/1") || strings.Contains(body, "12345") {
		t.Errorf("a concrete path became a label:\n%s", body)
	}

	rec = a.do(t, request{target: "/metrics", auth: noAuth, header: map[string]string{"Accept": "text/plain"}})
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("plain scrape: Content-Type %q, want text/plain", ct)
	}
	if strings.Contains(rec.Body.String(), "# EOF") {
		t.Error("plain scrape answered OpenMetrics")
	}
	if rec.Code != http.StatusOK {
		t.Errorf("plain scrape: %d", rec.Code)
	}

	// A second engine on the same registry shares the series.
	b := mustNewAPI(t, 3, 0, nil, reg)
	b.do(t, request{target: "/api/v1/tickets/1"})
	rec = b.do(t, request{target: "/metrics", auth: noAuth})
	if want := `gridwarn_http_requests_total{method="GET",route="/api/v1/tickets/:id",status="200"} 3`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("second engine: lacks %q", want)
	}
}
