package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// intakeGroup measures POST /api/v1/reports against raw synchronous
// publishing at the same concurrency, on the same broker (4a, 4b).
func (r *runner) intakeGroup(ctx context.Context, tpl templates) (groupResult, error) {
	var res groupResult
	ents, err := reporterEnterprises(r.o.Config.Registry.IndependentThreshold, tpl.ReporterTown)
	if err != nil {
		return res, err
	}
	rps := Row{Key: "4a", Figure: Figure{Unit: "req/s"}, Raw: Figure{Unit: "msgs/s"}}
	p99 := Row{Key: "4b", Figure: Figure{Unit: "ms"}, Raw: Figure{Unit: "ms"}}
	var p50s, rawP50s []float64
	for rep := range r.o.Reps {
		name, dbURL, err := r.fresh(ctx, "intake", tpl.Demo)
		if err != nil {
			return res, err
		}
		b, err := r.startBroker(ctx)
		if err != nil {
			return res, err
		}
		raw, intake, err := r.runIntake(ctx, b, dbURL, tpl, ents, rep)
		b.close()
		if err != nil {
			return res, err
		}
		if err := r.pg.drop(ctx, name); err != nil {
			return res, err
		}
		rps.Figure.Values = append(rps.Figure.Values, intake.rate())
		rps.Raw.Values = append(rps.Raw.Values, raw.rate())
		p99.Figure.Values = append(p99.Figure.Values, ms(percentile(intake.lat, 99)))
		p99.Raw.Values = append(p99.Raw.Values, ms(percentile(raw.lat, 99)))
		p50s = append(p50s, ms(percentile(intake.lat, 50)))
		rawP50s = append(rawP50s, ms(percentile(raw.lat, 50)))
		r.progress("intake rep %d/%d: POST /reports %s req/s (p99 %.1f ms), raw publish %s msgs/s (p99 %.1f ms)", rep+1, r.o.Reps,
			num(intake.rate()), ms(percentile(intake.lat, 99)), num(raw.rate()), ms(percentile(raw.lat, 99)))
	}
	rps.Ratio = ratios(rps.Figure, rps.Raw)
	p99.Ratio = ratios(p99.Figure, p99.Raw)
	rps.RSSKiB, p99.RSSKiB = vmHWM(), vmHWM()
	res.Rows = append(res.Rows, rps, p99)
	res.Notes = append(res.Notes, fmt.Sprintf("4: each repetition runs the raw publishers (natsbus.Publisher.PublishRaw, the intake's own call: Nats-Msg-Id, expected stream) and then the HTTP clients against the same fresh broker, %s warm-up each, not counted; the app runs the API role only (no engine competing for the cores), as the token of %s's direct report point (reporter) for its %d enterprises; every report is a new event id. p50: intake %s ms, raw %s ms (medians).",
		r.o.Warmup, tpl.ReporterTown, len(ents), num(median(p50s)), num(median(rawP50s))))
	return res, nil
}

func (r *runner) runIntake(ctx context.Context, b *broker, dbURL string, tpl templates, ents []demo.Enterprise, rep int) (raw, intake loadResult, err error) {
	a := app.New(r.appConfig(b, dbURL, config.Roles{API: true}), r.log)
	if err := a.Start(ctx); err != nil {
		return raw, intake, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = a.Stop(sctx)
	}()
	events := reportEvents(ents, rep)
	conc := r.o.Concurrency

	pub := natsbus.Publisher{JS: b.js}
	raw = runLoad(ctx, conc, r.o.Warmup, r.o.IntakeDuration, func(ctx context.Context, w, i int) error {
		e := events[(w*7919+i)%len(events)]
		e.ID = fmt.Sprintf("raw-%d-%d-%d", rep, w, i)
		e.Reporter = &gridwarn.Reporter{Kind: "direct_report_point", ID: "rpt-" + tpl.ReporterTown}
		now := time.Now()
		e.ReportedAt = &now
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = pub.PublishRaw(ctx, e.Subject(), e.ID, data)
		return err
	})
	if err := raw.check("raw publish"); err != nil {
		return raw, intake, err
	}

	intake = r.postReports(ctx, a, tpl, events, fmt.Sprintf("in-%d", rep))
	return raw, intake, intake.check("POST /api/v1/reports")
}

// postReports drives a's POST /api/v1/reports from Concurrency
// connections as the reporter of tpl, each report a new event id that
// begins with prefix.
func (r *runner) postReports(ctx context.Context, a *app.App, tpl templates, events []gridwarn.Event, prefix string) loadResult {
	conc := r.o.Concurrency
	client := newHTTPClient(conc)
	defer client.CloseIdleConnections()
	url := "http://" + a.APIAddr() + "/api/v1/reports"
	auth := "Bearer " + tpl.ReporterToken
	return runLoad(ctx, conc, r.o.Warmup, r.o.IntakeDuration, func(ctx context.Context, w, i int) error {
		e := events[(w*7919+i)%len(events)]
		e.ID = fmt.Sprintf("%s-%d-%d", prefix, w, i)
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		_, err = do(client, req, http.StatusAccepted)
		return err
	})
}
