// Package schedule runs gridwarn's periodic jobs on robfig/cron. The jobs
// themselves are plain methods elsewhere; this package only says when.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one periodic task. Run gets a context that ends when the
// scheduler stops.
type Job struct {
	Name string
	Spec string // cron spec with an optional seconds field, or @every 15s
	Run  func(ctx context.Context, now time.Time) error
}

// Scheduler runs jobs in a time zone; a run still going when its next turn
// comes is skipped, never doubled.
type Scheduler struct {
	cron   *cron.Cron
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a scheduler for jobs in loc.
func New(loc *time.Location, log *slog.Logger, jobs ...Job) (*Scheduler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	parser := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	c := cron.New(cron.WithLocation(loc), cron.WithParser(parser),
		cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})))
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{cron: c, log: log, ctx: ctx, cancel: cancel}
	for _, j := range jobs {
		if _, err := c.AddFunc(j.Spec, s.wrap(j)); err != nil {
			cancel()
			return nil, fmt.Errorf("schedule %s: spec %q: %w", j.Name, j.Spec, err)
		}
	}
	return s, nil
}

func (s *Scheduler) wrap(j Job) func() {
	return func() {
		start := time.Now()
		if err := j.Run(s.ctx, start); err != nil {
			s.log.Error("job failed", "job", j.Name, "err", err, "duration", time.Since(start))
			return
		}
		s.log.Debug("job done", "job", j.Name, "duration", time.Since(start))
	}
}

// Start starts the scheduler.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling and waits for running jobs, at most until ctx ends.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	select {
	case <-done.Done():
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		return fmt.Errorf("scheduler: stop: %w", ctx.Err())
	}
}

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
