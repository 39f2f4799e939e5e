package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

func newPublish(e *env) *cobra.Command {
	var (
		file, natsURL, subject string
		noValidate, leaf       bool
	)
	cmd := &cobra.Command{
		Use:   "publish [--file FILE|-]",
		Short: "Publish events (JSON, a JSON array or JSON lines) to the event stream",
		Long: `Publish one or many events to NATS JetStream, as a reporter would: each on
gridwarn.events.<county code> (characters 3-8 of the enterprise's credit
code) with the header Nats-Msg-Id set to the event id, waiting for the
broker's acknowledgement. Input: a file or standard input holding one JSON
object, a JSON array of objects, or JSON lines. Each event is checked
against the contract first, and its dates against the window of the
configuration (events.max_future ahead, legal.limitation_days +
events.age_margin_days back). With --no-validate every non-empty input line is
sent as it is, even if it is not JSON (to see dead letters). The broker: --nats-url, else nats.url, else the embedded
server's address from the configuration (nats://127.0.0.1:4222).`,
		Example: `  echo '{"id":"e-1","enterprise":"91320924MA1100231L","category":"wage_arrears","occurred_at":"2026-11-20T09:00:00+08:00","workers_involved":12}' | gridwarn publish
  gridwarn publish --file events.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			in := e.stdin
			if file != "" && file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			co := connectOptions(cfg, natsURL)
			co.Logger = e.logger(cfg) // shows permission violations instead of a bare timeout
			nc, err := natsbus.Connect(co)
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			p := &publisher{pub: natsbus.Publisher{JS: js, Leaf: leaf}, out: e.stdout, errOut: e.stderr, subject: subject, validate: !noValidate,
				window: cfg.EventWindow(), now: time.Now}
			return p.run(cmd.Context(), in)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "-", "file to read (- for standard input)")
	cmd.Flags().StringVar(&natsURL, "nats-url", "", "NATS server URL (default: nats.url, else the embedded server's address)")
	cmd.Flags().StringVar(&subject, "subject", "", "publish on this subject instead of gridwarn.events.<county code>")
	cmd.Flags().BoolVar(&leaf, "leaf", false, "the server is a county leaf node: the county's stream GRIDWARN_COUNTY_<county> acknowledges")
	cmd.Flags().BoolVar(&noValidate, "no-validate", false, "publish events that break the contract (they become dead letters)")
	return cmd
}

// connectOptions says how a one-off command reaches the broker.
func connectOptions(cfg config.Config, override string) natsbus.ConnectOptions {
	c := cfg.NATS
	url := override
	if url == "" {
		url = c.URL
	}
	if url == "" {
		url = "nats://" + net.JoinHostPort(c.Embedded.Host, strconv.Itoa(c.Embedded.Port))
	}
	return natsbus.ConnectOptions{
		URL: url, Name: "gridwarn-cli", User: c.User, Password: c.Password.Reveal(), Token: c.Token.Reveal(),
		CredsFile: c.CredsFile, NKeySeedFile: c.NKeySeedFile, CAFile: c.TLS.CAFile, CertFile: c.TLS.CertFile,
		KeyFile: c.TLS.KeyFile, ConnectTimeout: c.ConnectTimeout,
	}
}

type publisher struct {
	pub      natsbus.Publisher
	out      io.Writer
	errOut   io.Writer
	subject  string
	validate bool
	// window bounds the dates (config events.*), judged at now: the engine
	// would set an event outside it aside as date_out_of_window.
	window gridwarn.EventWindow
	now    func() time.Time
	sent   int
	dups   int // of sent: dropped by the broker as duplicates
	failed int
}

func (p *publisher) run(ctx context.Context, in io.Reader) error {
	if !p.validate {
		return p.runLines(ctx, in)
	}
	dec := json.NewDecoder(bufio.NewReader(in))
	for n := 1; ; n++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("input value %d: %w (nothing after it was read)", n, err)
		}
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			var arr []json.RawMessage
			if err := json.Unmarshal(raw, &arr); err != nil {
				return fmt.Errorf("input value %d: %w", n, err)
			}
			for _, r := range arr {
				p.one(ctx, r)
			}
			continue
		}
		p.one(ctx, raw)
	}
	fmt.Fprintf(p.errOut, "published %d event(s), %d failed%s\n", p.sent, p.failed, p.dupNote())
	if p.failed > 0 {
		return fmt.Errorf("%d event(s) not published", p.failed)
	}
	return nil
}

// runLines publishes every non-empty line as it is, parsable or not: with
// --no-validate the input may be broken on purpose.
func (p *publisher) runLines(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			p.one(ctx, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintf(p.errOut, "published %d message(s), %d failed%s\n", p.sent, p.failed, p.dupNote())
	if p.failed > 0 {
		return fmt.Errorf("%d message(s) not published", p.failed)
	}
	return nil
}

func (p *publisher) one(ctx context.Context, raw json.RawMessage) {
	var head struct {
		ID         string `json:"id"`
		Enterprise string `json:"enterprise"`
	}
	_ = json.Unmarshal(raw, &head)
	fail := func(err error) {
		p.failed++
		fmt.Fprintf(p.errOut, "not published: id=%q: %v\n", head.ID, err)
	}
	if p.validate {
		ev, err := contract.ParseEvent(raw)
		if err == nil {
			err = ev.ValidateWindow(p.now(), p.window)
		}
		if err != nil {
			fail(err)
			return
		}
	}
	subject := p.subject
	if subject == "" {
		subject = gridwarn.Event{Enterprise: head.Enterprise}.Subject()
		if len(head.Enterprise) < 8 {
			subject = gridwarn.EventSubjectPrefix + "unknown"
		}
	}
	res, err := p.pub.PublishRaw(ctx, subject, head.ID, raw)
	if err != nil {
		fail(err)
		return
	}
	p.sent++
	fmt.Fprintf(p.out, "published id=%s subject=%s seq=%d duplicate=%t\n", head.ID, res.Subject, res.Sequence, res.Duplicate)
	if res.Duplicate {
		// The broker kept the first message with this id (stream seq
		// above) and dropped this one: say so where nobody misses it.
		p.dups++
		fmt.Fprintf(p.errOut, "duplicate: dropped — id=%q was already published (stream seq %d); an event needs a new id to count\n", head.ID, res.Sequence)
	}
}

// dupNote is the summary's word on duplicates, "" when there were none.
func (p *publisher) dupNote() string {
	if p.dups == 0 {
		return ""
	}
	return fmt.Sprintf("; %d duplicate(s) dropped by the broker (their ids were published before)", p.dups)
}
