package drill

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/gridwarn/gridwarn/internal/config"
)

// configs/cluster is the documented production example: its files must
// load, and keep the settings that make the drill's guarantees hold.
func TestClusterConfigsKeepTheirGuarantees(t *testing.T) {
	dir := filepath.Join("..", "..", "configs", "cluster")
	t.Setenv("NATS_STORE_DIR", t.TempDir())
	for _, name := range []string{"nats-1", "nats-2", "nats-3"} {
		o, err := server.ProcessConfigFile(filepath.Join(dir, name+".conf"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.ServerName != name || !o.JetStream || !o.SyncAlways || o.JetStreamDomain != "hub" {
			t.Errorf("%s: server_name %q, jetstream %t, sync always %t, domain %q; want %s, true, true, hub",
				name, o.ServerName, o.JetStream, o.SyncAlways, o.JetStreamDomain, name)
		}
		if len(o.Routes) != 3 || !o.LeafNode.NoAdvertise {
			t.Errorf("%s: %d routes, leafnodes no_advertise %t; want 3 and true", name, len(o.Routes), o.LeafNode.NoAdvertise)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "gridwarn.yaml"), nil)
	if err != nil {
		t.Fatalf("gridwarn.yaml: %v", err)
	}
	if err := cfg.CheckServe(); err != nil {
		t.Fatalf("gridwarn.yaml: %v", err)
	}
	if cfg.NATS.Stream.Replicas != 3 || cfg.Database.ReadURL == "" {
		t.Errorf("gridwarn.yaml: replicas %d, read_url %q; want 3 and a replica", cfg.NATS.Stream.Replicas, cfg.Database.ReadURL)
	}
	if len(cfg.NATS.Stream.Counties) != 2 {
		t.Fatalf("gridwarn.yaml: counties %v, want two", cfg.NATS.Stream.Counties)
	}
	for _, c := range cfg.NATS.Stream.Counties {
		name := "leaf-" + c.County
		o, err := server.ProcessConfigFile(filepath.Join(dir, name+".conf"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.JetStreamDomain != c.Domain || !o.SyncAlways {
			t.Errorf("%s: domain %q, sync always %t; want %q (gridwarn.yaml) and true", name, o.JetStreamDomain, o.SyncAlways, c.Domain)
		}
		if len(o.LeafNode.Remotes) != 1 {
			t.Fatalf("%s: %d leafnode remotes, want 1", name, len(o.LeafNode.Remotes))
		}
		r := o.LeafNode.Remotes[0]
		if !slices.Contains(r.DenyImports, "gridwarn.events.>") || !slices.Contains(r.DenyExports, "gridwarn.events.>") {
			t.Errorf("%s: deny_imports %v, deny_exports %v; events must cross the link only through the source", name, r.DenyImports, r.DenyExports)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Error(err)
	}
}
