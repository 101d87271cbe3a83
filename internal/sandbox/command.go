package sandbox

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"scrdesk/internal/cli"
	"scrdesk/internal/staff"
)

// Command runs `scrdesk sandbox --listen 127.0.0.1:PORT [--trust-anchors FILE] [--users FILE]`.
// It serves until ctx is done and returns the process exit code. defaults supplies the trust
// anchors (the demo CA) and users (the demo users) used when the flags are absent.
//
// --trust-anchors is a PEM bundle of CA certificates. --users is a JSON object mapping 12-digit
// user ids to role lists: {"555000000011": [{"URID": "555000001101", "OrgCode": "FA123",
// "OrgName": "...", "RoleCode": "S8000:G8000:R8003", "RoleName": "...", "Activities": ["B0570"]}]}.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, defaults Options) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8690", "address to listen on (loopback only, e.g. 127.0.0.1:PORT)")
	anchors := fs.String("trust-anchors", "", "PEM file of CA certificates the token endpoint trusts (default: the demo CA)")
	users := fs.String("users", "", "JSON file mapping user ids to roles (default: the demo users)")
	pos, err := cli.ParseFlags(fs, args)
	if cli.Help(err, fs, stdout) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "sandbox: unexpected argument %q\n", pos[0])
		return 2
	}
	opts := defaults
	if *anchors != "" {
		pool, err := LoadTrustAnchors(*anchors)
		if err != nil {
			fmt.Fprintf(stderr, "sandbox: %v\n", err)
			return 1
		}
		opts.TrustAnchors = pool
	}
	if *users != "" {
		u, err := LoadUsers(*users)
		if err != nil {
			fmt.Fprintf(stderr, "sandbox: %v\n", err)
			return 1
		}
		opts.Users = u
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: --listen %q: %v\n", *listen, err)
		return 2
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(stderr, "sandbox: --listen must be a loopback address (127.0.0.1 or [::1]): the sandbox is for this machine only\n")
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: listen: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: New(opts), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "sandbox Spine listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return 0
	case err := <-errc:
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 1
	}
}

// LoadTrustAnchors reads a PEM bundle of CA certificates.
func LoadTrustAnchors(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read trust anchors: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("trust anchors %s: no PEM certificates found", path)
	}
	return pool, nil
}

// LoadUsers reads a JSON object mapping user ids to roles (see Command).
func LoadUsers(path string) (map[string][]staff.Role, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	var m map[string][]staff.Role
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("users %s: %w", path, err)
	}
	return m, nil
}

// Start serves a sandbox on a loopback port in this process (demo mode) and returns its base
// URL and a stop function that shuts it down.
func Start(opts Options) (*Server, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	s := New(opts)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return s, "http://" + ln.Addr().String(), stop, nil
}
