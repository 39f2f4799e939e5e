// Package handoff carries hand-offs between gridwarn deployments (issue 17
// item 3, DECISIONS D11). The outbox relay hands it the hand-off rows
// (gridwarn.TopicHandoffSend, gridwarn.TopicHandoffReply); Transport
// delivers each to the peer county's deployment and returns nil only when
// the peer has acknowledged that it stored it, so the relay retries until
// then. Two ways:
//
//   - NATS, for deployments that share a cluster or leaf nodes: a core
//     request on gridwarn.handoff.<to county> (a hand-off) or
//     gridwarn.handoff.<from county>.replies (an answer), answered by the
//     peer's Listener after its commit;
//   - HTTPS, for a peer with no NATS in common: POST to the peer's
//     /peer/v1/handoffs (or /peer/v1/handoffs/replies), signed like the
//     json webhooks (X-Gridwarn-Timestamp, X-Gridwarn-Signature:
//     HMAC-SHA256 with the key both counties share, X-Gridwarn-County the
//     signer), answered 200 with the acknowledgement. These routes take no
//     bearer token: a peer deployment has no account here, its key is its
//     credential (Handler).
//
// The receiving side stores a message once by its hand-off id and answers
// a repeat with the same acknowledgement (marked duplicate).
package handoff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/notify"
)

// Peer is another deployment's county.
type Peer struct {
	// County is the peer's six-digit county code.
	County string
	// URL is the peer's API base (https://…); empty: the peer is reached
	// over NATS.
	URL string
	// Key signs the HTTPS requests both ways (the same key on both sides).
	Key string
}

// Paths of the inbound routes under a peer's URL.
const (
	InboundPath        = "/peer/v1/handoffs"
	InboundRepliesPath = "/peer/v1/handoffs/replies"
)

// Headers of a signed request (as the json webhooks').
const (
	HeaderTimestamp = "X-Gridwarn-Timestamp"
	HeaderSignature = "X-Gridwarn-Signature"
	// HeaderCounty names the sending county, whose key signs the request.
	HeaderCounty = "X-Gridwarn-County"
)

// Transport delivers hand-off messages to peers.
type Transport struct {
	nc      *nats.Conn // nil: no NATS
	peers   map[string]Peer
	here    string // nothing: the county is read from the message
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

// Options configure a Transport.
type Options struct {
	// NATS carries the hand-offs of peers without a URL; nil: none.
	NATS *nats.Conn
	// Peers are the counties on other deployments.
	Peers []Peer
	// HTTPClient posts to peers with a URL; default: no redirects.
	HTTPClient *http.Client
	// Timeout bounds one delivery (default 4s, below the relay's publish
	// timeout).
	Timeout time.Duration
	Now     func() time.Time
}

// New returns a transport; a peer without URL needs NATS.
func New(o Options) (*Transport, error) {
	t := &Transport{nc: o.NATS, peers: map[string]Peer{}, client: o.HTTPClient, timeout: o.Timeout, now: o.Now}
	if t.client == nil {
		t.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if t.timeout <= 0 {
		t.timeout = 4 * time.Second
	}
	if t.now == nil {
		t.now = time.Now
	}
	for _, p := range o.Peers {
		if !gridwarn.IsCountyCode(p.County) {
			return nil, fmt.Errorf("handoff: peer county %q is not a six-digit code", p.County)
		}
		if p.URL == "" && t.nc == nil {
			return nil, fmt.Errorf("handoff: peer %s has no url and NATS is off", p.County)
		}
		if p.URL != "" && p.Key == "" {
			return nil, fmt.Errorf("handoff: peer %s has a url but no key", p.County)
		}
		t.peers[p.County] = p
	}
	return t, nil
}

// Rejected is a peer's refusal of a message (it will refuse it again):
// the relay still retries with its backoff, and the log says why.
type Rejected struct{ Reason string }

func (e *Rejected) Error() string { return "the peer refused the hand-off message: " + e.Reason }

// peerOf is the county a message goes to: the subject's county token.
func peerOf(m gridwarn.OutboxMessage) (string, bool) {
	rest, ok := strings.CutPrefix(m.Subject, gridwarn.HandoffSubjectPrefix)
	if !ok {
		return "", false
	}
	county, _, _ := strings.Cut(rest, ".")
	return county, gridwarn.IsCountyCode(county)
}

// Deliver sends one outbox row to its peer and returns nil once the peer
// acknowledged it.
func (t *Transport) Deliver(ctx context.Context, m gridwarn.OutboxMessage) error {
	county, ok := peerOf(m)
	if !ok {
		return &Rejected{Reason: "subject " + m.Subject + " names no county"}
	}
	p, known := t.peers[county]
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	var ack gridwarn.HandoffAck
	switch {
	case known && p.URL != "":
		path := InboundPath
		if m.Topic == gridwarn.TopicHandoffReply {
			path = InboundRepliesPath
		}
		if err := t.post(ctx, p, path, m.Payload, &ack); err != nil {
			return err
		}
	case t.nc != nil:
		msg, err := t.nc.RequestWithContext(ctx, m.Subject, m.Payload)
		if err != nil {
			return fmt.Errorf("hand-off to %s over NATS: %w", county, err)
		}
		if err := decodeAnswer(msg.Data, &ack); err != nil {
			return err
		}
	default:
		return &Rejected{Reason: "county " + county + " is no configured peer and NATS is off"}
	}
	if !ack.Stored {
		return fmt.Errorf("hand-off to %s: not acknowledged", county)
	}
	return nil
}

// answer is what a listener replies: the acknowledgement or a problem.
type answer struct {
	gridwarn.HandoffAck
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

func decodeAnswer(data []byte, ack *gridwarn.HandoffAck) error {
	var a answer
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("hand-off answer: %w", err)
	}
	if a.Error != "" {
		if a.Code == string(gridwarn.EINVALID) || a.Code == string(gridwarn.ENOTFOUND) {
			return &Rejected{Reason: a.Error}
		}
		return errors.New("the peer could not store the hand-off: " + a.Error)
	}
	*ack = a.HandoffAck
	return nil
}

// post sends a signed request to a peer.
func (t *Transport) post(ctx context.Context, p Peer, path string, body []byte, ack *gridwarn.HandoffAck) error {
	ts := strconv.FormatInt(t.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(p.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return &Rejected{Reason: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, notify.Sign(p.Key, ts, body))
	var from struct {
		From string `json:"from_county"`
		To   string `json:"to_county"`
	}
	_ = json.Unmarshal(body, &from)
	if path == InboundRepliesPath {
		req.Header.Set(HeaderCounty, from.To)
	} else {
		req.Header.Set(HeaderCounty, from.From)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("hand-off to %s over HTTPS: %w", p.County, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("hand-off to %s over HTTPS: %s: %s", p.County, resp.Status, bytes.TrimSpace(data))
	}
	return decodeAnswer(data, ack)
}

// Inbox stores what peers send (postgres.DB).
type Inbox = gridwarn.HandoffInbox

// Receive stores a hand-off (reply: false) or an answer (reply: true).
func Receive(ctx context.Context, in Inbox, data []byte, reply bool) (gridwarn.HandoffAck, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if reply {
		var r gridwarn.HandoffReply
		if err := dec.Decode(&r); err != nil {
			return gridwarn.HandoffAck{}, gridwarn.Invalid("invalid hand-off reply", gridwarn.FieldError{Field: "", Rule: "json", Message: err.Error()})
		}
		return in.ReceiveHandoffReply(ctx, r)
	}
	var m gridwarn.HandoffMessage
	if err := dec.Decode(&m); err != nil {
		return gridwarn.HandoffAck{}, gridwarn.Invalid("invalid hand-off", gridwarn.FieldError{Field: "", Rule: "json", Message: err.Error()})
	}
	return in.ReceiveHandoff(ctx, m)
}

// Signer checks the signature of a peer's request: the key of the county
// in X-Gridwarn-County, which must be the message's sending side.
type Signer struct {
	keys map[string]string
	now  func() time.Time
}

// NewSigner keeps the peers' keys.
func NewSigner(peers []Peer, now func() time.Time) *Signer {
	s := &Signer{keys: map[string]string{}, now: now}
	if s.now == nil {
		s.now = time.Now
	}
	for _, p := range peers {
		if p.Key != "" {
			s.keys[p.County] = p.Key
		}
	}
	return s
}

// ErrUnsigned is a request without a valid signature of a known peer.
var ErrUnsigned = errors.New("the request is not signed by a known peer")

// Check verifies a request's headers against body; reply says whether it
// carries an answer (its signer is the receiving county, to_county) or a
// hand-off (from_county).
func (s *Signer) Check(h http.Header, body []byte, reply bool) error {
	county := h.Get(HeaderCounty)
	key, ok := s.keys[county]
	if !ok {
		return ErrUnsigned
	}
	if err := notify.Verify(key, h.Get(HeaderTimestamp), body, h.Get(HeaderSignature), s.now(), 0); err != nil {
		return fmt.Errorf("%w: %v", ErrUnsigned, err)
	}
	var c struct {
		From string `json:"from_county"`
		To   string `json:"to_county"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return nil // the decoder reports it
	}
	if reply && c.To != county || !reply && c.From != county {
		return fmt.Errorf("%w: signed by %s for another county's message", ErrUnsigned, county)
	}
	return nil
}

// Listener answers the hand-offs and answers that peers send over NATS to
// this deployment's counties.
type Listener struct {
	mu   sync.Mutex
	subs []*nats.Subscription
	log  *slog.Logger
}

// Listen subscribes (queue group gridwarn-handoff, so that replicas share
// the work) for each county of this deployment.
func Listen(nc *nats.Conn, counties []string, in Inbox, log *slog.Logger) (*Listener, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{log: log}
	for _, c := range counties {
		for _, sub := range []struct {
			subject string
			reply   bool
		}{{gridwarn.HandoffSubject(c), false}, {gridwarn.HandoffReplySubject(c), true}} {
			reply := sub.reply
			s, err := nc.QueueSubscribe(sub.subject, "gridwarn-handoff", func(msg *nats.Msg) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				ack, err := Receive(ctx, in, msg.Data, reply)
				a := answer{HandoffAck: ack}
				if err != nil {
					a.Error, a.Code = err.Error(), string(gridwarn.ErrorCode(err))
					l.log.Warn("hand-off not stored", "subject", msg.Subject, "err", err)
				}
				data, _ := json.Marshal(a)
				if err := msg.Respond(data); err != nil {
					l.log.Warn("hand-off answer not sent", "subject", msg.Subject, "err", err)
				}
			})
			if err != nil {
				l.Stop()
				return nil, fmt.Errorf("handoff: subscribe %s: %w", sub.subject, err)
			}
			l.subs = append(l.subs, s)
		}
	}
	return l, nc.Flush()
}

// Stop drains the subscriptions; safe to call more than once.
func (l *Listener) Stop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.subs {
		_ = s.Drain()
	}
	l.subs = nil
}

// MaxBody bounds an inbound request's body.
const MaxBody = 1 << 20

// Handler serves the inbound routes (InboundPath, InboundRepliesPath):
// a request signed by a known peer for its own side of the message is
// stored once and answered 200 with the acknowledgement (a repeat too);
// an unsigned or wrongly signed one is 401, a malformed one 400, an
// unknown hand-off 404 — each as application/problem+json.
func Handler(in Inbox, s *Signer, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := strings.HasSuffix(r.URL.Path, "/replies")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			problem(w, r, http.StatusRequestEntityTooLarge, "too_large", "the body exceeds 1 MiB")
			return
		}
		if err := s.Check(r.Header, body, reply); err != nil {
			log.Warn("hand-off request refused", "err", err, "county", r.Header.Get(HeaderCounty))
			problem(w, r, http.StatusUnauthorized, string(gridwarn.EUNAUTHORIZED), "authentication required")
			return
		}
		ack, err := Receive(r.Context(), in, body, reply)
		if err != nil {
			switch gridwarn.ErrorCode(err) {
			case gridwarn.EINVALID:
				problem(w, r, http.StatusBadRequest, string(gridwarn.EINVALID), err.Error())
			case gridwarn.ENOTFOUND:
				problem(w, r, http.StatusNotFound, string(gridwarn.ENOTFOUND), err.Error())
			default:
				log.Error("hand-off not stored", "err", err)
				problem(w, r, http.StatusInternalServerError, string(gridwarn.EINTERNAL), "internal error")
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ack)
	})
}

func problem(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://gridwarn.dev/problems/" + code,
		"title": http.StatusText(status), "status": status, "detail": detail, "code": code, "instance": r.URL.Path})
}
