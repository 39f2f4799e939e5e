package testutil

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func mustConnect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func databaseExists(tb testing.TB, name string) bool {
	tb.Helper()
	conn := mustConnect(tb, DatabaseURL(tb))
	var exists bool
	const q = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`
	if err := conn.QueryRow(context.Background(), q, name).Scan(&exists); err != nil {
		tb.Fatal(err)
	}
	return exists
}

func TestMustCreateDatabase(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("use", func(t *testing.T) {
		url := MustCreateDatabase(t)
		conn := mustConnect(t, url)
		ctx := t.Context()

		if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "gridwarn_test_") {
			t.Fatalf("current_database() = %q, want the prefix gridwarn_test_", name)
		}
		if _, err := conn.Exec(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, note text NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO t (id, note) VALUES ($1, $2)`, 1, "hello"); err != nil {
			t.Fatal(err)
		}
		var note string
		if err := conn.QueryRow(ctx, `SELECT note FROM t WHERE id = $1`, 1).Scan(&note); err != nil {
			t.Fatal(err)
		}
		if note != "hello" {
			t.Fatalf("note = %q, want hello", note)
		}
	})
	if t.Failed() || name == "" {
		return
	}
	// The subtest's cleanup dropped the database, though its connection was
	// still open when the cleanups started.
	if databaseExists(t, name) {
		t.Errorf("database %s still exists after the test ended", name)
	}
}

func TestMustCreateDatabaseFromTemplate(t *testing.T) {
	t.Parallel()
	templateURL := MustCreateDatabase(t)
	conn := mustConnect(t, templateURL)
	var template string
	if err := conn.QueryRow(t.Context(), `SELECT current_database()`).Scan(&template); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `CREATE TABLE seeded (id int PRIMARY KEY); INSERT INTO seeded VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	// Nobody may stay connected to a template while it is copied.
	if err := conn.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	t.Run("copies", func(t *testing.T) {
		for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				conn := mustConnect(t, MustCreateDatabaseFromTemplate(t, template))
				var id int
				if err := conn.QueryRow(t.Context(), `SELECT id FROM seeded`).Scan(&id); err != nil {
					t.Fatal(err)
				}
				if id != 42 {
					t.Fatalf("id = %d, want 42", id)
				}
				// The copy is independent of the template and of its siblings.
				if _, err := conn.Exec(t.Context(), `INSERT INTO seeded VALUES (1)`); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{
			name: "url keeps the query",
			in:   "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			want: "postgres://postgres@127.0.0.1:5432/gridwarn_test_x?sslmode=disable",
		},
		{
			name: "url without a database",
			in:   "postgresql://u:p@db:5433?sslmode=require&application_name=t",
			want: "postgresql://u:p@db:5433/gridwarn_test_x?sslmode=require&application_name=t",
		},
		{
			name: "keyword=value string",
			in:   "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
			want: "host=127.0.0.1 port=5432 user=postgres dbname=postgres dbname='gridwarn_test_x'",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WithDatabase(tt.in, "gridwarn_test_x")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("WithDatabase(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMustStartCluster(t *testing.T) {
	t.Parallel()
	c := MustStartCluster(t)
	url := c.URL()
	if !strings.HasPrefix(url, "postgres://postgres@127.0.0.1:") {
		t.Fatalf("URL() = %q, want a loopback postgres URL", url)
	}

	conn := mustConnect(t, url)
	if _, err := conn.Exec(t.Context(), `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before stop')`); err != nil {
		t.Fatal(err)
	}

	c.Stop(t)
	c.Stop(t) // idempotent
	if err := conn.Ping(t.Context()); err == nil {
		t.Fatal("a connection opened before Stop still works")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(context.Background())
		t.Fatal("connected to a stopped cluster")
	}

	c.Start(t)
	c.Start(t) // idempotent
	if c.URL() != url {
		t.Fatalf("URL() after Start = %q, want %q", c.URL(), url)
	}
	conn = mustConnect(t, url)
	var v string
	if err := conn.QueryRow(t.Context(), `SELECT v FROM kept`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "before stop" {
		t.Fatalf("v = %q, want the row written before Stop", v)
	}
}
