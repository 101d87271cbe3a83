package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a failure the sandbox can inject.
type FaultKind string

// Fault kinds.
const (
	FaultLatency   FaultKind = "latency"   // wait Latency, then answer normally
	FaultHTML5xx   FaultKind = "html5xx"   // Status (default 503) with an HTML body
	FaultRateLimit FaultKind = "ratelimit" // 429 with Retry-After (default "1")
	FaultMalformed FaultKind = "malformed" // 200 with broken JSON
	FaultTruncated FaultKind = "truncated" // 200 with a record Bundle cut in half
	FaultTooBig    FaultKind = "toobig"    // 200 with a body of Size bytes (default 64 MiB)
	FaultDrop      FaultKind = "drop"      // close the connection without answering
)

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind
	// Times is how many requests it hits; zero means every request until cleared.
	Times      int
	Latency    time.Duration
	Status     int
	RetryAfter string
	Size       int64
}

// SetFault injects f into requests for resource ("Patient", "DocumentReference", "Bundle",
// "AuditEvent", "token", "userinfo", or "*" for all). A zero Fault clears it.
func (s *Server) SetFault(resource string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Kind == "" {
		delete(s.faults, resource)
		return
	}
	s.faults[resource] = &f
}

// ParseFault reads the X-Sandbox-Fault header: "KIND[;ARG]" where ARG is a duration for
// latency, a status for html5xx, a Retry-After value for ratelimit and a size in bytes for
// toobig. Example: "ratelimit;2", "latency;3s", "html5xx;502".
func ParseFault(v string) (Fault, error) {
	kind, arg, _ := strings.Cut(strings.TrimSpace(v), ";")
	f := Fault{Kind: FaultKind(kind), Times: 1}
	var err error
	switch f.Kind {
	case FaultLatency:
		f.Latency, err = time.ParseDuration(arg)
	case FaultHTML5xx:
		if arg != "" {
			f.Status, err = strconv.Atoi(arg)
		}
	case FaultRateLimit:
		f.RetryAfter = arg
	case FaultTooBig:
		if arg != "" {
			f.Size, err = strconv.ParseInt(arg, 10, 64)
		}
	case FaultMalformed, FaultTruncated, FaultDrop:
	default:
		return Fault{}, fmt.Errorf("sandbox: unknown fault %q", kind)
	}
	return f, err
}

func (s *Server) takeFault(resource, header string) *Fault {
	if header != "" {
		if f, err := ParseFault(header); err == nil {
			return &f
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{resource, "*"} {
		f, ok := s.faults[key]
		if !ok {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				delete(s.faults, key)
			}
		}
		return &out
	}
	return nil
}

const htmlError = `<!DOCTYPE html><html><head><title>%d Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>`

// apply performs the fault. It reports whether the answer is complete.
func (f *Fault) apply(ctx context.Context, w http.ResponseWriter, r *http.Request) bool {
	switch f.Kind {
	case FaultLatency:
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return true
		}
		return false
	case FaultHTML5xx:
		st := f.Status
		if st == 0 {
			st = 503
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(st)
		fmt.Fprintf(w, htmlError, st)
	case FaultRateLimit:
		ra := f.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		writeJSON(w, 429, throttledBody)
	case FaultMalformed:
		writeJSON(w, 200, []byte(`{"resourceType": "Bundle", "type": "searchset", "entry": [ {"resource": {"resourceType": "Patient",, }`))
	case FaultTruncated:
		b := mustData("summary-care-record/specification-examples/GetScrBundle.json")
		writeJSON(w, 200, b[:len(b)/2])
	case FaultTooBig:
		size := f.Size
		if size == 0 {
			size = 64 << 20
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(200)
		chunk := []byte(strings.Repeat(" ", 32<<10))
		_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset",`))
		for n := int64(0); n < size; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil || ctx.Err() != nil {
				return true
			}
		}
		_, _ = w.Write([]byte(`"total":0}`))
	case FaultDrop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream instead
		}
		_ = conn.Close()
	default:
		return false
	}
	return true
}
