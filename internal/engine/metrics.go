package engine

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the engine's Prometheus collectors.
type Metrics struct {
	consumed    prometheus.Counter
	stored      prometheus.Counter
	duplicates  prometheus.Counter
	deadLetters *prometheus.CounterVec
	opened      prometheus.Counter
	retries     prometheus.Counter
	rescued     prometheus.Counter
	unavailable prometheus.Gauge
	batch       prometheus.Histogram
	batchSize   prometheus.Histogram
}

// NewMetrics creates the collectors and registers them on reg (none when nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwarn_events_consumed_total", Help: "Messages taken from the event stream (every delivery).",
		}),
		stored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwarn_events_stored_total", Help: "Events recorded in PostgreSQL for the first time.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwarn_events_duplicate_total", Help: "Events already recorded (redelivered or resent) and skipped.",
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwarn_dead_letters_total", Help: "Messages set aside as dead letters, by reason.",
		}, []string{"reason"}),
		opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwarn_tickets_opened_total", Help: "Tickets opened by the engine.",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwarn_engine_retries_total", Help: "Batches not committed for a transient reason and redelivered later.",
		}),
		rescued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwarn_events_rescued_total", Help: "Messages that ran out of deliveries and were stored from the advisory stream.",
		}),
		unavailable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwarn_engine_database_unavailable", Help: "1 while the engine finds the database unreachable (down or starting up), else 0.",
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gridwarn_engine_batch_seconds", Help: "Time to validate, decide and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gridwarn_engine_batch_messages", Help: "Messages per batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.consumed, m.stored, m.duplicates, m.deadLetters, m.opened, m.retries, m.rescued, m.unavailable, m.batch, m.batchSize)
	}
	return m
}
