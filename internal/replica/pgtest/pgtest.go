// Package pgtest starts a private PostgreSQL 15 cluster for tests: initdb and pg_ctl from
// Debian's postgresql-15 (/usr/lib/postgresql/15/bin) in a temporary folder, listening on a
// free loopback port, trust authentication, stopped by its pid file when the test ends.
//
// As root the cluster runs as the unprivileged user nobody (initdb refuses root). A test that
// needs it calls Start; without the server binaries it skips with the reason, or fails when
// SCRDESK_REQUIRE_POSTGRES=1 (make test sets it). Test code only; it starts processes.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDir is where Debian's postgresql-15 puts the server binaries. SCRDESK_PG_BIN overrides.
var BinDir = "/usr/lib/postgresql/15/bin"

// Server is one private cluster.
type Server struct {
	Dir  string // the temporary folder: data in Dir/db, socket and log beside it
	Port int
	t    testing.TB
	run  []string // command prefix: runuser -u nobody -- (as root) or nothing

	mu      sync.Mutex
	running bool
}

func bin() string {
	if d := os.Getenv("SCRDESK_PG_BIN"); d != "" {
		return d
	}
	return BinDir
}

// Require skips (or, with SCRDESK_REQUIRE_POSTGRES=1, fails) when the server binaries are
// not installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(bin(), "pg_ctl")); err != nil {
		msg := fmt.Sprintf("needs PostgreSQL 15's server binaries in %s (apt-get install postgresql-15; scripts/deps.sh test)", bin())
		if os.Getenv("SCRDESK_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start makes and starts a fresh cluster; it is stopped and removed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	Require(t)
	dir, err := os.MkdirTemp("", "scrdesk-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: dir, t: t}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("as root, PostgreSQL must run as an unprivileged user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.run = []string{"runuser", "-u", "nobody", "--"}
	}
	t.Cleanup(func() {
		s.Stop()
		os.RemoveAll(dir)
	})
	if out, err := s.cmd("initdb", "-D", filepath.Join(dir, "db"), "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--no-sync", "--locale=C").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	for try := 0; ; try++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Port = port
		if err := s.start(); err == nil {
			break
		} else if try >= 3 {
			t.Fatalf("start PostgreSQL: %v", err)
		}
	}
	return s
}

func (s *Server) cmd(name string, args ...string) *exec.Cmd {
	argv := append(append([]string{}, s.run...), filepath.Join(bin(), name))
	argv = append(argv, args...)
	return exec.Command(argv[0], argv[1:]...)
}

func (s *Server) start() error {
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60", s.Dir, s.Port)
	out, err := s.cmd("pg_ctl", "-D", filepath.Join(s.Dir, "db"), "-o", opts,
		"-l", filepath.Join(s.Dir, "log"), "-w", "-t", "30", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
		return fmt.Errorf("%v\n%s\n%s", err, out, log)
	}
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	return nil
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart PostgreSQL: %v", err)
	}
}

// Stop stops the server (fast shutdown: clients are disconnected). Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return
	}
	out, err := s.cmd("pg_ctl", "-D", filepath.Join(s.Dir, "db"), "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil {
		s.t.Logf("stop PostgreSQL: %v\n%s", err, out)
	}
	s.running = false
}

// DSN is a connection string for user on database db ("postgres" when empty).
func (s *Server) DSN(user, db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=%s sslmode=disable connect_timeout=5", s.Port, user, db)
}

// SuperDSN connects as the cluster's superuser, postgres.
func (s *Server) SuperDSN() string { return s.DSN("postgres", "") }

// Exec runs sql as the superuser and fails the test on error.
func (s *Server) Exec(sql string, args ...any) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.SuperDSN())
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
}

// Conn connects as the superuser; closed when the test ends.
func (s *Server) Conn() *pgx.Conn {
	s.t.Helper()
	c, err := pgx.Connect(context.Background(), s.SuperDSN())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}
