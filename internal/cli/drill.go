package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/drill"
)

func newDrill(e *env) *cobra.Command {
	o := drill.Defaults()
	var (
		leaves []string
		faults string
	)
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Inject faults into the cluster of scripts/cluster.sh and count lost and duplicated events",
		Long: `A Jepsen-style drill against the topology of scripts/cluster.sh (scripts/drill.sh
starts it, runs the drill and tears it down). Unique event ids are published at
a steady rate to the county leaf nodes and to the hub, each retried until the
broker acknowledges it. After a baseline phase, the faults run one per phase:

  nats-kill     kill -9 of a NATS node that is not the stream leader
  leader-kill   kill -9 of the GRIDWARN_EVENTS leader
  nats-pause    SIGSTOP of the stream leader, SIGCONT after --fault-time
  replica-kill  kill -9 of a gridwarn replica (API + engine)
  pg-restart    the PostgreSQL primary stops at once (immediate) and starts again
  leaf-cut      a county leaf node cut off from the hub for --leaf-cut

After each heal the drill waits until every event acknowledged so far is stored
(the time to recover); at the end it checks PostgreSQL: every acknowledged event
in events exactly once and in the inbox once, no enterprise+category with two
open tickets, ticket event counts adding up, no escalation sent twice, no drill
event set aside as a dead letter. It prints a Markdown table and exits 1 on any
loss, duplicate, timeout or broken invariant.

The database is database.url of the configuration (GRIDWARN_DATABASE_URL).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			o.DatabaseURL = cfg.Database.URL
			o.Log = e.logger(cfg)
			o.Leaves = map[string]string{}
			for _, l := range leaves {
				county, url, ok := strings.Cut(l, "=")
				if !ok {
					return usageError{fmt.Errorf("--leaf %q: want COUNTY=URL", l)}
				}
				o.Leaves[county] = url
			}
			o.Faults = nil
			for _, f := range strings.Split(faults, ",") {
				if f = strings.TrimSpace(f); f != "" && f != "none" {
					o.Faults = append(o.Faults, f)
				}
			}
			res, err := drill.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, res.Table())
			if res.Unacked > 0 {
				fmt.Fprintf(e.stdout, "\n%d events were never acknowledged (the publisher stopped retrying at the end): not promised, not counted.\n", res.Unacked)
			}
			if !res.OK() {
				return fmt.Errorf("drill failed: events lost or duplicated, a recovery timed out, or an invariant broke")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.HubURL, "hub", "nats://127.0.0.1:24221,nats://127.0.0.1:24222,nats://127.0.0.1:24223", "the hub's client URLs")
	f.StringArrayVar(&leaves, "leaf", []string{"320924=nats://127.0.0.1:24261", "320923=nats://127.0.0.1:24262"}, "a county's leaf node, COUNTY=URL (repeatable)")
	f.StringVar(&o.Cluster, "cluster", "scripts/cluster.sh", "the script that kills, pauses and starts the cluster's processes")
	f.Float64Var(&o.Rate, "rate", o.Rate, "events per second, in total")
	f.StringVar(&faults, "faults", strings.Join(drill.AllFaults, ","), "faults in order, comma-separated, or none")
	f.DurationVar(&o.Baseline, "baseline", o.Baseline, "the first phase, without a fault")
	f.DurationVar(&o.FaultTime, "fault-time", o.FaultTime, "how long a node stays down or paused")
	f.DurationVar(&o.LeafCut, "leaf-cut", o.LeafCut, "how long a county stays cut off")
	f.DurationVar(&o.Settle, "settle", o.Settle, "the least time between a recovery and the next fault")
	f.DurationVar(&o.RecoverTimeout, "recover-timeout", o.RecoverTimeout, "the longest wait for the backlog after a heal")
	f.IntVar(&o.Enterprises, "enterprises", o.Enterprises, "enterprises per county")
	f.StringVar(&o.Replica, "replica", o.Replica, "the gridwarn process replica-kill kills")
	f.StringVar(&o.LeafToCut, "cut-county", "", "the county leaf-cut cuts off (default: the first)")
	cmd.AddCommand(newDrillProxy(e))
	return cmd
}

func newDrillProxy(e *env) *cobra.Command {
	var p drill.Proxy
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Forward TCP from --listen to the first --target that answers (the link a drill cuts)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			p.Log = e.logger(cfg)
			return p.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&p.Listen, "listen", "127.0.0.1:0", "address to listen on")
	cmd.Flags().StringSliceVar(&p.Targets, "target", nil, "host:port to forward to, in order of preference (repeatable, or comma-separated)")
	return cmd
}
