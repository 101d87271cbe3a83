package sync

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/sandbox"
)

// BenchmarkLargestRecord measures, in one run, the sandbox's raw HTTP round trip for the largest
// record (NHSManyMeds: 310 medication rows) and the client's request-to-parsed-record time for
// the same record. Run: go test -run XXX -bench LargestRecord ./sync
func BenchmarkLargestRecord(b *testing.B) {
	e := newEnv(b, nil)
	s := e.session(b)
	ctx := context.Background()
	doc, _, err := s.SCRDocument(ctx, sandbox.NHSManyMeds)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := e.sb.IssueToken(e.user.UserID)
	if err != nil {
		b.Fatal(err)
	}
	q := url.Values{"composition.identifier": {doc.ID},
		"composition.subject:Patient.identifier": {fhir.SystemNHSNumber + "|" + sandbox.NHSManyMeds}}
	rawURL := e.srv.URL + SCRPath + "/Bundle?" + q.Encode()
	var size int64
	b.Run("raw_http_round_trip", func(b *testing.B) {
		hc := e.srv.Client()
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequest("GET", rawURL, nil)
			req.Header.Set("X-Request-ID", "7d9f3c1e-2a4b-4c5d-8e6f-0a1b2c3d4e5f")
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("NHSD-Session-URID", e.user.Roles[0].URID)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
			size = n
		}
		b.SetBytes(size)
	})
	b.Run("request_to_parsed_record", func(b *testing.B) {
		var rows int
		for i := 0; i < b.N; i++ {
			rec, _, err := s.SCRRecord(ctx, doc, sandbox.NHSManyMeds)
			if err != nil {
				b.Fatal(err)
			}
			rows = 0
			for _, sec := range rec.Sections {
				for _, t := range sec.Tables {
					rows += len(t.Rows)
				}
			}
		}
		b.SetBytes(size)
		b.ReportMetric(float64(rows), "rows/record")
	})
	b.Logf("largest record: %d bytes", size)
}
