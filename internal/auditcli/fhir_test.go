package auditcli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"scrdesk/internal/audit"
)

// A generic reading of the Bundle, as a FHIR server or SIEM would parse it: nothing of the
// exporter's own types.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		FullURL  string         `json:"fullUrl"`
		Resource map[string]any `json:"resource"`
		Request  struct{ Method, URL string }
	} `json:"entry"`
}

func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func TestExportFHIRBundleFollowsBALP(t *testing.T) {
	db, _, _ := fixture(t)
	code, out, errs := run(t, db, "export", "--format", "fhir")
	if code != ExitOK {
		t.Fatalf("export = %d %s", code, errs)
	}
	var b bundle
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// Four rows and the export's own row, recorded before any row leaves.
	if b.ResourceType != "Bundle" || b.Type != "batch" || len(b.Entry) != 5 {
		t.Fatalf("bundle %s/%s with %d entries", b.ResourceType, b.Type, len(b.Entry))
	}
	var rows []audit.Entry
	db.Each(context.Background(), audit.Filter{}, func(e audit.Entry) error { rows = append(rows, e); return nil })
	for i, en := range b.Entry {
		r, e := en.Resource, rows[i]
		if r["resourceType"] != "AuditEvent" || r["id"] != e.ID || en.FullURL != "urn:uuid:"+e.ID ||
			en.Request.Method != "POST" || en.Request.URL != "AuditEvent" {
			t.Errorf("entry %d: %v %v %v", i, r["resourceType"], r["id"], en.Request)
		}
		if get(r, "meta", "tag", 0, "system") != SystemLocalRow || get(r, "meta", "tag", 0, "code") != db.InstanceID()+":"+itoa(e.Seq) {
			t.Errorf("entry %d: local row tag %v", i, get(r, "meta", "tag"))
		}
		if get(r, "agent", 0, "who", "identifier", "system") != SystemSDSUser || get(r, "agent", 0, "who", "identifier", "value") != e.UserID ||
			get(r, "agent", 0, "requestor") != true {
			t.Errorf("entry %d: user agent %v", i, get(r, "agent", 0))
		}
		if get(r, "source", "observer", "display") != e.Workstation || get(r, "source", "site") != "FA123" ||
			get(r, "source", "observer", "identifier", "value") != "FA123" {
			t.Errorf("entry %d: source %v", i, get(r, "source"))
		}
		if r["outcome"] != "0" || !strings.HasSuffix(r["recorded"].(string), "Z") {
			t.Errorf("entry %d: outcome %v recorded %v", i, r["outcome"], r["recorded"])
		}
		if e.NHSNumber != "" {
			if get(r, "entity", 0, "what", "identifier", "system") != SystemNHSNumber || get(r, "entity", 0, "what", "identifier", "value") != e.NHSNumber ||
				get(r, "entity", 0, "role", "code") != "1" || get(r, "entity", 0, "type", "code") != "1" {
				t.Errorf("entry %d: patient entity %v", i, get(r, "entity"))
			}
		} else if get(r, "entity", 0, "what") != nil {
			t.Errorf("entry %d: a patient entity on a row without a patient", i)
		}
	}
	// Sign-in is a BALP Login; reading the record a BALP PatientRead (action R, DICOM/rest
	// type); the emergency access carries its reason.
	if p := get(b.Entry[0].Resource, "meta", "profile", 0); p != balpProfile+"IHE.BasicAudit.Login" {
		t.Errorf("login profile %v", p)
	}
	if p := get(b.Entry[1].Resource, "meta", "profile", 0); p != balpProfile+"IHE.BasicAudit.PatientRead" || b.Entry[1].Resource["action"] != "R" {
		t.Errorf("read profile %v action %v", p, b.Entry[1].Resource["action"])
	}
	if get(b.Entry[1].Resource, "entity", 1, "detail", 1, "valueString") != "r2" {
		t.Errorf("request ids %v", get(b.Entry[1].Resource, "entity"))
	}
	if d := b.Entry[2].Resource["outcomeDesc"]; d != `=HYPERLINK("x")` {
		t.Errorf("emergency reason %v", d)
	}
	// Filters apply; the export is audited as every export is.
	code, out, _ = run(t, db, "export", "--format", "fhir", "--nhs-number", "9990000026")
	var one bundle
	// The patient's read, and the export itself (recorded before any row leaves).
	if code != ExitOK || json.Unmarshal([]byte(out), &one) != nil || len(one.Entry) != 2 {
		t.Fatalf("filtered export: %d %q", code, out)
	}
	if n, _ := db.Count(context.Background(), audit.Filter{Action: audit.ActionAuditExported}); n != 2 {
		t.Errorf("%d export rows", n)
	}
	// An empty export is still a valid Bundle.
	code, out, _ = run(t, db, "export", "--format", "fhir", "--user", "000000000000")
	var none bundle
	if code != ExitOK || json.Unmarshal([]byte(out), &none) != nil || len(none.Entry) != 0 {
		t.Fatalf("empty export: %d %q", code, out)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
