package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// stats publishes gauges that need a query: the engine consumer's backlog
// and the open tickets by level. The scheduler runs Collect.
type stats struct {
	js         jetstream.JetStream
	db         *postgres.DB
	durable    string
	pending    prometheus.Gauge
	ackPending prometheus.Gauge
	redeliver  prometheus.Gauge
	open       *prometheus.GaugeVec
}

func newStats(reg prometheus.Registerer, js jetstream.JetStream, db *postgres.DB, durable string) *stats {
	s := &stats{
		js: js, db: db, durable: durable,
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwarn_consumer_pending_messages", Help: "Events in the stream not yet delivered to the engine.",
		}),
		ackPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwarn_consumer_ack_pending_messages", Help: "Events delivered to an engine and not yet acknowledged.",
		}),
		redeliver: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwarn_consumer_redelivered_messages", Help: "Events currently being redelivered.",
		}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gridwarn_tickets_open", Help: "Open tickets by level.",
		}, []string{"level"}),
	}
	reg.MustRegister(s.pending, s.ackPending, s.redeliver, s.open)
	return s
}

// Collect refreshes the gauges.
func (s *stats) Collect(ctx context.Context, _ time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var errs []error
	if c, err := s.js.Consumer(ctx, natsbus.StreamName, s.durable); err != nil {
		errs = append(errs, fmt.Errorf("consumer info: %w", err))
	} else if info, err := c.Info(ctx); err != nil {
		errs = append(errs, fmt.Errorf("consumer info: %w", err))
	} else {
		s.pending.Set(float64(info.NumPending))
		s.ackPending.Set(float64(info.NumAckPending))
		s.redeliver.Set(float64(info.NumRedelivered))
	}
	counts, err := s.db.OpenTicketCounts(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, l := range gridwarn.Levels {
		if err == nil {
			s.open.WithLabelValues(string(l)).Set(float64(counts[l]))
		}
	}
	return errors.Join(errs...)
}
