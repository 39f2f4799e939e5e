package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
)

// readsGroup measures the ticket detail and the ticket list with Tickets
// tickets stored against a bare Gin endpoint answering the same bytes, in
// the same process and run (5b–5e).
func (r *runner) readsGroup(ctx context.Context, tpl templates) (groupResult, error) {
	var res groupResult
	rows := map[string]*Row{}
	keys := []string{"5a", "5a-p99", "5b", "5c", "5d", "5e"}
	for _, k := range keys {
		rows[k] = &Row{Key: k, Figure: Figure{Unit: "ms"}, Raw: Figure{Unit: "ms"}}
	}
	var rates = map[string][]float64{}
	var detailBytes, listBytes, queueBytes, queueLen int
	for rep := range r.o.Reps {
		name, dbURL, err := r.fresh(ctx, "reads", tpl.Reads)
		if err != nil {
			return res, err
		}
		b, err := r.startBroker(ctx)
		if err != nil {
			return res, err
		}
		m, err := r.runReads(ctx, b, dbURL, tpl, rep)
		b.close()
		if err != nil {
			return res, err
		}
		if err := r.pg.drop(ctx, name); err != nil {
			return res, err
		}
		detailBytes, listBytes, queueBytes, queueLen = m.detailBytes, m.listBytes, m.queueBytes, m.queueLen
		for _, x := range []struct {
			p50, p99   string
			api, bare  loadResult
			what, rate string
		}{{"5a", "5a-p99", m.queue, m.bareQueue, "queue", "queue"}, {"5b", "5c", m.detail, m.bareDetail, "detail", "detail"}, {"5d", "5e", m.list, m.bareList, "list", "list"}} {
			rows[x.p50].Figure.Values = append(rows[x.p50].Figure.Values, ms(percentile(x.api.lat, 50)))
			rows[x.p50].Raw.Values = append(rows[x.p50].Raw.Values, ms(percentile(x.bare.lat, 50)))
			rows[x.p99].Figure.Values = append(rows[x.p99].Figure.Values, ms(percentile(x.api.lat, 99)))
			rows[x.p99].Raw.Values = append(rows[x.p99].Raw.Values, ms(percentile(x.bare.lat, 99)))
			rates[x.rate] = append(rates[x.rate], x.api.rate())
			rates["bare "+x.rate] = append(rates["bare "+x.rate], x.bare.rate())
			r.progress("reads rep %d/%d: %s p50 %.2f ms p99 %.2f ms (%s req/s); bare Gin p50 %.2f ms p99 %.2f ms (%s req/s)", rep+1, r.o.Reps, x.what,
				ms(percentile(x.api.lat, 50)), ms(percentile(x.api.lat, 99)), num(x.api.rate()),
				ms(percentile(x.bare.lat, 50)), ms(percentile(x.bare.lat, 99)), num(x.bare.rate()))
		}
	}
	rss := vmHWM()
	for _, k := range keys {
		rows[k].Ratio = ratios(rows[k].Figure, rows[k].Raw)
		rows[k].RSSKiB = rss
		res.Rows = append(res.Rows, *rows[k])
	}
	res.Notes = append(res.Notes, fmt.Sprintf("5: the tickets are COPYed into a template once (%s of them, the newest 2000 open; %s evenly spread get 3 events, their history and 3 clocks, and the detail reads pick among those at random); each repetition copies it. The API runs alone (API role) with the leader's token (whole county); the bare Gin endpoint (gin.New, no middleware) answers a fixed copy of a real answer (detail %d bytes, list %d bytes) from the same process. Throughput, medians: detail %s req/s (bare %s), list %s req/s (bare %s).",
		num(float64(r.o.Tickets)), num(float64(r.o.DetailSample)), detailBytes, listBytes,
		num(median(rates["detail"])), num(median(rates["bare detail"])), num(median(rates["list"])), num(median(rates["bare list"]))),
		fmt.Sprintf("5a: the open tickets also get running clocks at their tier (accept, contact, resolve). The queue is read with the token of mediator-%s-1 (the town with the most enterprises), whose queue holds %d open town- and enterprise-tier tickets (the first 50 are read; answer %d bytes, served again by the bare Gin endpoint). Throughput, medians: queue %s req/s (bare %s).",
			tpl.MediatorTown, queueLen, queueBytes, num(median(rates["queue"])), num(median(rates["bare queue"]))))
	return res, nil
}

type readsRun struct {
	detail, bareDetail, list, bareList, queue, bareQueue loadResult
	detailBytes, listBytes, queueBytes, queueLen         int
}

func (r *runner) runReads(ctx context.Context, b *broker, dbURL string, tpl templates, rep int) (readsRun, error) {
	var out readsRun
	a := app.New(r.appConfig(b, dbURL, config.Roles{API: true}), r.log)
	if err := a.Start(ctx); err != nil {
		return out, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = a.Stop(sctx)
	}()
	rows, _ := a.DB().Pool().Query(ctx, "SELECT DISTINCT ticket_id FROM events ORDER BY 1")
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return out, err
	}
	if len(ids) == 0 {
		return out, errors.New("no ticket has events")
	}
	conc := r.o.Concurrency
	client := newHTTPClient(conc)
	defer client.CloseIdleConnections()
	base := "http://" + a.APIAddr()
	auth := "Bearer " + tpl.LeaderToken
	get := func(ctx context.Context, url string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", auth)
		return do(client, req, http.StatusOK)
	}
	detailBody, err := get(ctx, base+"/api/v1/tickets/"+strconv.FormatInt(ids[len(ids)-1], 10))
	if err != nil {
		return out, err
	}
	listURL := base + "/api/v1/tickets?limit=50"
	listBody, err := get(ctx, listURL)
	if err != nil {
		return out, err
	}
	out.detailBytes, out.listBytes = len(detailBody), len(listBody)
	queueURL := base + "/api/v1/queue?limit=50"
	getQueue := func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, queueURL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tpl.MediatorToken)
		return do(client, req, http.StatusOK)
	}
	queueBody, err := getQueue(ctx)
	if err != nil {
		return out, err
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(queueBody, &page); err != nil {
		return out, fmt.Errorf("queue answer: %w", err)
	}
	if len(page.Items) == 0 {
		return out, errors.New("the town mediator's queue is empty")
	}
	out.queueBytes = len(queueBody)
	if err := a.DB().Pool().QueryRow(ctx, `SELECT count(*) FROM tickets WHERE town_code = $1 AND tier IN ('town', 'enterprise')
AND status = ANY($2)`, tpl.MediatorTown, openStatuses()).Scan(&out.queueLen); err != nil {
		return out, err
	}

	bare, err := startBareGin(map[string][]byte{"/bare/detail": detailBody, "/bare/list": listBody, "/bare/queue": queueBody})
	if err != nil {
		return out, err
	}
	defer bare.Close()
	bareBase := "http://" + bare.addr

	rngs := make([]*rand.Rand, conc)
	for w := range rngs {
		rngs[w] = rand.New(rand.NewPCG(uint64(rep), uint64(w)))
	}
	if out.queue, err = func() (loadResult, error) {
		res := runLoad(ctx, conc, r.o.Warmup, r.o.ReadDuration, func(ctx context.Context, _, _ int) error {
			_, err := getQueue(ctx)
			return err
		})
		return res, res.check("GET /api/v1/queue?limit=50")
	}(); err != nil {
		return out, err
	}
	load := func(what string, url func(w int) string) (loadResult, error) {
		res := runLoad(ctx, conc, r.o.Warmup, r.o.ReadDuration, func(ctx context.Context, w, _ int) error {
			_, err := get(ctx, url(w))
			return err
		})
		return res, res.check(what)
	}
	if out.bareQueue, err = load("bare queue", func(int) string { return bareBase + "/bare/queue" }); err != nil {
		return out, err
	}
	if out.detail, err = load("GET /api/v1/tickets/{id}", func(w int) string {
		return base + "/api/v1/tickets/" + strconv.FormatInt(ids[rngs[w].IntN(len(ids))], 10)
	}); err != nil {
		return out, err
	}
	if out.bareDetail, err = load("bare detail", func(int) string { return bareBase + "/bare/detail" }); err != nil {
		return out, err
	}
	if out.list, err = load("GET /api/v1/tickets?limit=50", func(int) string { return listURL }); err != nil {
		return out, err
	}
	if out.bareList, err = load("bare list", func(int) string { return bareBase + "/bare/list" }); err != nil {
		return out, err
	}
	return out, nil
}

// bareGin is a Gin server with fixed JSON answers: the floor of HTTP and
// the load generator.
type bareGin struct {
	srv  *http.Server
	addr string
}

func startBareGin(bodies map[string][]byte) (*bareGin, error) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	for path, body := range bodies {
		e.GET(path, func(c *gin.Context) { c.Data(http.StatusOK, "application/json; charset=utf-8", body) })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &bareGin{srv: &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}, addr: ln.Addr().String()}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

func (b *bareGin) Close() { _ = b.srv.Close() }

// openStatuses are the open ticket states, as SQL parameters.
func openStatuses() []string {
	var out []string
	for _, s := range gridwarn.OpenStatuses() {
		out = append(out, string(s))
	}
	return out
}
