package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgServer creates and drops the bench's databases on the PostgreSQL
// server the configuration names. Every name starts with gwbench_<run id>_
// so that the parent can sweep what a child left behind.
type pgServer struct {
	url   string
	runID string

	mu      sync.Mutex
	created []string
	n       int
}

func newPGServer(u string) *pgServer {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &pgServer{url: u, runID: hex.EncodeToString(b)}
}

func (s *pgServer) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return conn, nil
}

// name returns a fresh database name for purpose.
func (s *pgServer) name(purpose string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("gwbench_%s_%s_%d", s.runID, purpose, s.n)
}

// create creates a database, a copy of template when it is not empty,
// and returns its name and URL. synchronousCommit, when set, becomes the
// database's default for every session.
func (s *pgServer) create(ctx context.Context, purpose, template, synchronousCommit string) (string, string, error) {
	name := s.name(purpose)
	conn, err := s.connect(ctx)
	if err != nil {
		return "", "", err
	}
	defer conn.Close(context.Background())
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	// Copying a template fails while somebody (autovacuum) is connected
	// to it; retry a little.
	backoff := 50 * time.Millisecond
	for i := 1; ; i++ {
		_, err = conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if err == nil || i == 10 || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			break
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
	if err != nil {
		return "", "", fmt.Errorf("create database %s: %w", name, err)
	}
	s.mu.Lock()
	s.created = append(s.created, name)
	s.mu.Unlock()
	if synchronousCommit != "" {
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET synchronous_commit = "+
			pgx.Identifier{synchronousCommit}.Sanitize()); err != nil {
			return "", "", fmt.Errorf("set synchronous_commit on %s: %w", name, err)
		}
	}
	u, err := withDatabase(s.url, name)
	return name, u, err
}

// drop drops a database, disconnecting whoever is still connected.
func (s *pgServer) drop(ctx context.Context, name string) error {
	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, n := range s.created {
		if n == name {
			s.created = append(s.created[:i], s.created[i+1:]...)
			break
		}
	}
	return nil
}

// dropOwn drops the databases this process created.
func (s *pgServer) dropOwn(ctx context.Context) {
	s.mu.Lock()
	names := append([]string(nil), s.created...)
	s.mu.Unlock()
	for _, n := range names {
		_ = s.drop(ctx, n)
	}
}

// dropAll drops every database of the run, including what a child process
// left behind.
func (s *pgServer) dropAll(ctx context.Context) {
	s.dropOwn(ctx)
	conn, err := s.connect(ctx)
	if err != nil {
		return
	}
	rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1`, "gwbench\\_"+s.runID+"\\_%")
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	conn.Close(context.Background())
	for _, n := range names {
		_ = s.drop(ctx, n)
	}
}

// withDatabase returns connString with its database replaced by name; it
// accepts URLs and keyword/value strings.
func withDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse database URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	quoted := strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), `'`, `\'`)
	return strings.TrimSpace(connString) + " dbname='" + quoted + "'", nil
}
