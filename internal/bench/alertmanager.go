package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// alertmanagerGroup measures Prometheus Alertmanager's POST /api/v2/alerts
// (one alert per request) against gridwarn's POST /api/v1/reports (one
// report per request) in two configurations, with the same load generator
// and concurrency, each repetition on a fresh peer, broker and database
// (7a–7c; issue #18 goal 7). scripts/bench-alertmanager.sh builds the peer
// from the Go module proxy and passes it as --alertmanager-bin.
func (r *runner) alertmanagerGroup(ctx context.Context, tpl templates) (groupResult, error) {
	var res groupResult
	bin := r.o.AlertmanagerBin
	if bin == "" {
		return res, errors.New("no Alertmanager binary: pass --alertmanager-bin (scripts/bench-alertmanager.sh builds one)")
	}
	peerVersion := alertmanagerVersion(ctx, bin)
	ents, err := reporterEnterprises(r.o.Config.Registry.IndependentThreshold, tpl.ReporterTown)
	if err != nil {
		return res, err
	}
	am := Row{Key: "7a", Figure: Figure{Unit: "req/s"}}
	fast := Row{Key: "7b", Figure: Figure{Unit: "req/s"}}
	def := Row{Key: "7c", Figure: Figure{Unit: "req/s"}}
	var amP99, fastP99, defP99 []float64
	for rep := range r.o.Reps {
		// The order rotates, so that no configuration always runs first
		// (or last) on a shared machine.
		for k := range 3 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			switch (rep + k) % 3 {
			case 0:
				l, err := r.runAlertmanager(ctx, bin, rep)
				if err != nil {
					return res, fmt.Errorf("alertmanager: %w", err)
				}
				am.Figure.Values = append(am.Figure.Values, l.rate())
				amP99 = append(amP99, ms(percentile(l.lat, 99)))
				r.progress("7a rep %d/%d: Alertmanager POST /api/v2/alerts %s req/s (p99 %.1f ms)", rep+1, r.o.Reps, num(l.rate()), ms(percentile(l.lat, 99)))
			case 1:
				l, err := r.runReportsConfig(ctx, tpl, ents, rep, 2*time.Minute, config.Roles{API: true}, "am2m")
				if err != nil {
					return res, fmt.Errorf("gridwarn, API role only, sync_interval 2m: %w", err)
				}
				fast.Figure.Values = append(fast.Figure.Values, l.rate())
				fastP99 = append(fastP99, ms(percentile(l.lat, 99)))
				r.progress("7b rep %d/%d: gridwarn (API role, sync_interval 2m) POST /api/v1/reports %s req/s (p99 %.1f ms)", rep+1, r.o.Reps, num(l.rate()), ms(percentile(l.lat, 99)))
			case 2:
				l, err := r.runReportsConfig(ctx, tpl, ents, rep, 0, config.Roles{API: true, Engine: true, Scheduler: true, Relay: true}, "amdef")
				if err != nil {
					return res, fmt.Errorf("gridwarn, serve defaults: %w", err)
				}
				def.Figure.Values = append(def.Figure.Values, l.rate())
				defP99 = append(defP99, ms(percentile(l.lat, 99)))
				r.progress("7c rep %d/%d: gridwarn (serve defaults) POST /api/v1/reports %s req/s (p99 %.1f ms)", rep+1, r.o.Reps, num(l.rate()), ms(percentile(l.lat, 99)))
			}
		}
	}
	fast.Raw, def.Raw = am.Figure, am.Figure
	fast.Ratio, def.Ratio = ratios(fast.Figure, am.Figure), ratios(def.Figure, am.Figure)
	rss := vmHWM()
	am.RSSKiB, fast.RSSKiB, def.RSSKiB = rss, rss, rss
	res.Rows = append(res.Rows, am, fast, def)
	res.Notes = append(res.Notes, fmt.Sprintf("7: the peer is %s (%s), started fresh for each repetition on loopback with one receiver and no integrations (--cluster.listen-address= turns gossip off), so an alert is accepted, stored in memory and dispatched to nobody; every request carries one new alert (its own labels), like every report is a new event. gridwarn runs in this process as `gridwarn serve` runs, with its embedded nats-server (the app's own connection in-process) and a fresh database and store each repetition, as %s's direct report point: 7b with the API role only and JetStream sync_interval 2m (nats-server's own default: neither server fsyncs per request), 7c as `gridwarn serve` with its defaults (all roles, so the engine stores the reports meanwhile, and sync_interval always: fsync before every ack). Alertmanager authenticates nobody; gridwarn checks the bearer token, the enterprise's scope and the event contract. The three run one after another in each repetition, the order rotating; %d connections, %s each after %s of warm-up. RSS is this process's (gridwarn, its broker and the load generator; the peer runs in its own process). p99: Alertmanager %s ms, 7b %s ms, 7c %s ms (medians).",
		peerVersion, bin, tpl.ReporterTown, r.o.Concurrency, r.o.IntakeDuration, r.o.Warmup, num(median(amP99)), num(median(fastP99)), num(median(defP99))))
	return res, nil
}

// reporterEnterprises are the demo simulator's enterprises of town.
func reporterEnterprises(threshold int, town string) ([]demo.Enterprise, error) {
	county := demo.County(threshold)
	var ents []demo.Enterprise
	for _, e := range county.SimulatorEnterprises() {
		for _, ce := range county.Enterprises {
			if ce.CreditCode == e.CreditCode && ce.TownCode == town {
				ents = append(ents, e)
			}
		}
	}
	if len(ents) == 0 {
		return nil, fmt.Errorf("no enterprises in town %s", town)
	}
	return ents, nil
}

// runReportsConfig drives POST /api/v1/reports of an app with roles, as
// `gridwarn serve` runs it with its embedded nats-server (in this process,
// the app's own connection in-process, JetStream fsyncing every
// syncInterval, 0: always) and a fresh demo database.
func (r *runner) runReportsConfig(ctx context.Context, tpl templates, ents []demo.Enterprise, rep int, syncInterval time.Duration, roles config.Roles, prefix string) (loadResult, error) {
	name, dbURL, err := r.fresh(ctx, "peer", tpl.Demo)
	if err != nil {
		return loadResult{}, err
	}
	dir, err := os.MkdirTemp("", "gridwarn-bench-nats-")
	if err != nil {
		return loadResult{}, err
	}
	defer os.RemoveAll(dir)
	cfg := r.o.Config
	cfg.Roles = roles
	cfg.NATS.URL, cfg.NATS.User, cfg.NATS.Password, cfg.NATS.Token = "", "", "", ""
	cfg.NATS.CredsFile, cfg.NATS.NKeySeedFile, cfg.NATS.TLS = "", "", config.TLS{}
	cfg.NATS.Embedded.Host, cfg.NATS.Embedded.Port, cfg.NATS.Embedded.StoreDir = "127.0.0.1", -1, dir
	cfg.NATS.Embedded.Publishers = nil
	cfg.DataDir = dir
	cfg.NATS.Embedded.SyncInterval = "always"
	if syncInterval > 0 {
		cfg.NATS.Embedded.SyncInterval = syncInterval.String()
	}
	cfg.Database.URL = dbURL
	cfg.Database.MigrateOnStart = false
	cfg.API.Listen = "127.0.0.1:0"
	cfg.Notify.Webhooks = nil
	l, err := func() (loadResult, error) {
		a := app.New(cfg, r.log)
		if err := a.Start(ctx); err != nil {
			return loadResult{}, err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = a.Stop(sctx)
		}()
		l := r.postReports(ctx, a, tpl, reportEvents(ents, rep), fmt.Sprintf("%s-%d", prefix, rep))
		return l, l.check("POST /api/v1/reports")
	}()
	if err != nil {
		return l, err
	}
	return l, r.pg.drop(ctx, name)
}

// reportEvents are 1000 plausible reports about ents (no reporter: the
// server sets it).
func reportEvents(ents []demo.Enterprise, rep int) []gridwarn.Event {
	src := newEventSource(ents, uint64(300+rep))
	events := make([]gridwarn.Event, 1000)
	for i := range events {
		_, events[i], _ = src.msg("")
		events[i].Reporter, events[i].ReportedAt = nil, nil
	}
	return events
}

// runAlertmanager starts a fresh peer and drives POST /api/v2/alerts with
// one new alert per request.
func (r *runner) runAlertmanager(ctx context.Context, bin string, rep int) (loadResult, error) {
	p, err := startAlertmanager(ctx, bin)
	if err != nil {
		return loadResult{}, err
	}
	defer p.stop()
	client := newHTTPClient(r.o.Concurrency)
	defer client.CloseIdleConnections()
	url := "http://" + p.addr + "/api/v2/alerts"
	cats := gridwarn.Categories
	l := runLoad(ctx, r.o.Concurrency, r.o.Warmup, r.o.IntakeDuration, func(ctx context.Context, w, i int) error {
		now := time.Now().UTC().Format(time.RFC3339Nano)
		body := fmt.Sprintf(`[{"labels":{"alertname":"GridwarnReport","enterprise":"%s","category":"%s","event_id":"am-%d-%d-%d"},`+
			`"annotations":{"summary":"12名职工反映企业拖欠工资约1.5个月"},"startsAt":"%s","generatorURL":"http://gridwarn.invalid/"}]`,
			creditCode(1+(w*7919+i)%539), cats[(w+i)%len(cats)], rep, w, i, now)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		_, err = do(client, req, http.StatusOK)
		return err
	})
	return l, l.check("POST /api/v2/alerts")
}

// peer is a running Alertmanager.
type peer struct {
	cmd  *exec.Cmd
	dir  string
	addr string
	out  *bytes.Buffer
}

const alertmanagerConfig = `# gridwarn bench: accept alerts, notify nobody.
route:
  receiver: nobody
  group_by: ['alertname']
receivers:
  - name: nobody
`

func startAlertmanager(ctx context.Context, bin string) (*peer, error) {
	dir, err := os.MkdirTemp("", "gridwarn-bench-am-")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(alertmanagerConfig), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &peer{dir: dir, addr: addr, out: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/-/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("alertmanager on %s not ready after 30s: %v; its output: %.500s", addr, err, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *peer) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(p.dir)
}

// freeLoopbackAddr is a loopback address whose port was free a moment ago.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// alertmanagerVersion is the first line of `alertmanager --version`.
func alertmanagerVersion(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	if err != nil {
		return "Alertmanager (version unknown)"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
