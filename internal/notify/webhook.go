package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Headers of json webhook requests. X-Gridwarn-Delivery and
// X-Gridwarn-Topic are sent in every format.
const (
	HeaderDelivery     = "X-Gridwarn-Delivery"
	HeaderTimestamp    = "X-Gridwarn-Timestamp"
	HeaderSignature    = "X-Gridwarn-Signature"
	HeaderWebhookTopic = "X-Gridwarn-Topic"
)

type deliveryResult struct {
	code int // HTTP status, 0 when there was no response
	err  error
}

// deliverDue claims due deliveries with a lease (their next attempt moves
// past the longest request), sends them outside any transaction, and
// records each result. A relay that dies mid-request leaves the lease to
// expire: the delivery is retried with the same delivery id.
func (r *Relay) deliverDue(ctx context.Context) (int, error) {
	if len(r.hooks) == 0 {
		return 0, nil
	}
	claimed, err := r.store.ClaimDeliveries(ctx, r.now(), r.hookNames, r.perRound, r.lease)
	if err != nil {
		return 0, err
	}
	sort.Slice(claimed, func(i, j int) bool { return claimed[i].ID < claimed[j].ID })

	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, r.concurrency)
		mu   sync.Mutex
		errs []error
	)
	for _, d := range claimed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res := r.send(ctx, r.byName[d.Webhook], d)
			if err := r.record(ctx, d, res); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

// record stores the outcome of one attempt, unless another relay took the
// delivery over meanwhile (its lease expired).
func (r *Relay) record(ctx context.Context, d gridwarn.DeliveryClaim, res deliveryResult) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	o := gridwarn.DeliveryOutcome{ID: d.ID, Attempts: d.Attempts, At: r.now(), StatusCode: res.code}
	switch {
	case res.err == nil:
		o.Status = gridwarn.DeliveryDelivered
		r.log.Debug("webhook delivered", "webhook", d.Webhook, "delivery_id", d.DeliveryID, "outbox_id", d.OutboxID, "attempts", d.Attempts)
	case ctx.Err() != nil && res.code == 0:
		// Stopped mid-request: release the lease without counting the attempt.
		o.Released = true
	default:
		o.Error = truncate(res.err.Error(), 1000)
		if d.Attempts >= r.maxAttempts {
			o.Status = gridwarn.DeliveryFailed
			r.log.Error("webhook delivery failed for good", "webhook", d.Webhook, "delivery_id", d.DeliveryID, "outbox_id", d.OutboxID,
				"attempts", d.Attempts, "status_code", res.code, "err", res.err)
		} else {
			wait := r.backoffAfter(d.Attempts)
			o.Status, o.At = gridwarn.DeliveryPending, o.At.Add(wait)
			r.log.Warn("webhook delivery failed", "webhook", d.Webhook, "delivery_id", d.DeliveryID, "outbox_id", d.OutboxID,
				"attempts", d.Attempts, "status_code", res.code, "retry_in", wait, "err", res.err)
		}
	}
	if err := r.store.RecordDelivery(dctx, o); err != nil {
		return fmt.Errorf("record delivery %s: %w", d.DeliveryID, err)
	}
	return nil
}

// send makes one attempt.
func (r *Relay) send(ctx context.Context, h Webhook, d gridwarn.DeliveryClaim) deliveryResult {
	req, err := r.request(ctx, h, r.envelope(d.DeliveryID, d.Message))
	if err != nil {
		return deliveryResult{err: err}
	}
	rctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	resp, err := r.client.Do(req.WithContext(rctx))
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = redactURL(uerr.URL) // the query holds robot keys
		}
		return deliveryResult{err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return deliveryResult{code: resp.StatusCode, err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(strings.TrimSpace(string(body)), 300))}
	}
	if h.Format == FormatWeCom || h.Format == FormatDingTalk {
		// Both robots answer 200 with an error code: rate limits (20 a
		// minute), a wrong key or signature, a missing keyword.
		var ans struct {
			ErrCode *int   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if json.Unmarshal(body, &ans) == nil && ans.ErrCode != nil && *ans.ErrCode != 0 {
			return deliveryResult{code: resp.StatusCode, err: fmt.Errorf("%s errcode %d: %s", h.Format, *ans.ErrCode, ans.ErrMsg)}
		}
	}
	return deliveryResult{code: resp.StatusCode}
}

// request builds the POST for one attempt in the webhook's format.
func (r *Relay) request(ctx context.Context, h Webhook, env Envelope) (*http.Request, error) {
	now := r.now()
	target := h.URL
	var body []byte
	var err error
	switch h.Format {
	case FormatWeCom:
		body, err = WeComBody(env, r.loc)
	case FormatDingTalk:
		body, err = DingTalkBody(env, r.loc)
		if err == nil && h.Secret != "" {
			target, err = dingTalkURL(h.URL, h.Secret, now.UnixMilli())
		}
	default:
		body, err = marshal(env)
	}
	if err != nil {
		return nil, fmt.Errorf("build %s body: %w", h.Format, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %s", redactURL(target)) // the error would quote the URL
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "gridwarn-notify/1")
	req.Header.Set(HeaderDelivery, env.DeliveryID)
	req.Header.Set(HeaderWebhookTopic, env.Topic)
	if h.Format == FormatJSON && h.Secret != "" {
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(h.Secret, ts, body))
	}
	return req, nil
}

// marshal encodes v without HTML escaping (robots show <font> tags).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Sign returns the X-Gridwarn-Signature of a json webhook body:
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
func Sign(secret, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// DefaultTolerance is Verify's tolerance when it is given none.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrBadSignature   = errors.New("webhook signature does not verify")
	ErrStaleTimestamp = errors.New("webhook timestamp is too far from now")
)

// Verify checks a json webhook request for receivers: timestamp and
// signature are the X-Gridwarn-Timestamp and X-Gridwarn-Signature headers,
// body the raw request body. It rejects a timestamp further than tolerance
// (0: DefaultTolerance) from now, which bounds replays; a receiver drops
// repeats of X-Gridwarn-Delivery within that time.
func Verify(secret, timestamp string, body []byte, signature string, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no secret", ErrBadSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not unix seconds", ErrBadSignature, timestamp)
	}
	hexSig, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return fmt.Errorf("%w: want sha256=<hex>", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s off", ErrStaleTimestamp, d.Round(time.Second))
	}
	return nil
}

// DingTalkSign returns DingTalk's robot signature before URL encoding:
// base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), timestamp in
// milliseconds.
func DingTalkSign(secret string, timestampMillis int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// dingTalkURL adds timestamp and sign (URL-encoded) to the robot's URL.
func dingTalkURL(raw, secret string, timestampMillis int64) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("dingtalk url %s: invalid", redactURL(raw))
	}
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(timestampMillis, 10))
	q.Set("sign", DingTalkSign(secret, timestampMillis))
	u.RawQuery = q.Encode()
	return u.String(), nil
}
