package sync

import (
	"errors"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/fhir/fhirtest"
)

// FuzzUserInfo decodes arbitrary userinfo answers: no panic, a typed error or roles with URIDs.
func FuzzUserInfo(f *testing.F) {
	f.Add(fhirtest.Read(f, "summary-care-record/uat/responses/identity-service/userInfo.json"))
	f.Add([]byte(`{"nhsid_nrbac_roles":[{"person_roleid":"1","org_code":"FA123"}],"nhsid_user_orgs":[{"org_code":"FA123","org_name":"X"}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		roles, err := decodeUserInfo(b, func(e error) error { return e })
		if err != nil {
			var se *fhir.SpineError
			if !errors.As(err, &se) || se.Kind != fhir.Malformed {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, r := range roles {
			if r.URID == "" {
				t.Fatal("role without URID")
			}
		}
	})
}

// FuzzDERToJOSE converts arbitrary card answers: either a 64-byte signature or an error.
func FuzzDERToJOSE(f *testing.F) {
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := derToJOSE(b)
		if err == nil && len(out) != 64 {
			t.Fatalf("%d bytes", len(out))
		}
	})
}
