package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/engine"
	"github.com/gridwarn/gridwarn/internal/natsbus"
)

// RecoverOptions says where gridwarn recover starts.
type RecoverOptions struct {
	// FromSeq, when set, is the stream sequence to start at; otherwise the
	// start is the highest sequence the database holds, moved back by
	// Lookback (by the time the broker stored the messages).
	FromSeq  uint64
	Lookback time.Duration
}

// RecoverReport is what gridwarn recover found and did.
type RecoverReport struct {
	HighestStored uint64    // the highest stream sequence the database held before
	StartSeq      uint64    // the sequence asked for (FromSeq, or the whole stream)
	StartTime     time.Time // or the stored time started from (highest stored - lookback)
	engine.RecoverResult
}

// Recover brings the database forward from the event stream (after a
// restore from a backup): it re-drives every message from the highest
// stream sequence the database holds (less the lookback margin, since
// batches may commit out of sequence order) to the end of the stream
// through the engine's path. Events already stored are skipped by the
// inbox. With nats.url empty it starts the embedded server on the store
// directory (gridwarn serve must then be stopped).
func Recover(ctx context.Context, cfg config.Config, log *slog.Logger, o RecoverOptions) (RecoverReport, error) {
	var rep RecoverReport
	a := New(cfg, log)
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = a.Stop(stopCtx)
	}()
	r, err := loadRules(cfg.Rules.File, cfg.Rules.TimeScale)
	if err != nil {
		return rep, err
	}
	a.rules = r
	if err := a.startNATS(ctx); err != nil {
		return rep, err
	}
	if err := a.startDB(ctx); err != nil {
		return rep, err
	}
	stream, err := a.js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return rep, fmt.Errorf("stream %s: %w", natsbus.StreamName, err)
	}
	if rep.HighestStored, err = a.db.MaxStreamSeq(ctx); err != nil {
		return rep, err
	}
	var start engine.RecoverStart
	switch {
	case o.FromSeq > 0:
		start.Seq = o.FromSeq
	case rep.HighestStored == 0:
		start.Seq = 1 // nothing stored: the whole stream
	default:
		msg, err := stream.GetMsg(ctx, rep.HighestStored)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			// Gone from the stream (expired or deleted): start after it.
			start.Seq = rep.HighestStored + 1
		case err != nil:
			return rep, fmt.Errorf("stream message %d: %w", rep.HighestStored, err)
		default:
			start.Time = msg.Time.Add(-o.Lookback)
		}
	}
	rep.StartSeq, rep.StartTime = start.Seq, start.Time
	rep.RecoverResult, err = engine.Recover(ctx, stream, a.db, a.rules, engine.Options{
		BatchSize: cfg.Engine.BatchSize, MaxEventBytes: int(cfg.Engine.MaxEventBytes), NakDelays: cfg.Engine.NakDelays,
		Logger: a.log.With("component", "recover"), Now: a.Now, Window: cfg.EventWindow(),
	}, start)
	return rep, err
}
