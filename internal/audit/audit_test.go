package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestActionsHaveLabelsAndFHIRCodes(t *testing.T) {
	seen := map[Action]bool{}
	for _, a := range Actions() {
		if seen[a] {
			t.Errorf("%s listed twice", a)
		}
		seen[a] = true
		info, ok := a.Info()
		if !ok || info.Label == "" || info.Type.Code == "" || info.Subtype.Code == "" || info.Code == "" {
			t.Errorf("%s: incomplete info %+v", a, info)
		}
	}
	if len(seen) != len(actions) {
		t.Errorf("Actions() lists %d, table has %d", len(seen), len(actions))
	}
	if got := Action("nope").Label(); got != "nope" {
		t.Errorf("unknown label = %q", got)
	}
}

func TestOutcomeFHIRCodes(t *testing.T) {
	tests := []struct {
		name string
		o    Outcome
		code string
	}{
		{"success", OutcomeSuccess, "0"},
		{"minor", OutcomeMinorFailure, "4"},
		{"serious", OutcomeSeriousFailure, "8"},
		{"major", OutcomeMajorFailure, "12"},
		{"unknown", Outcome("x"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.FHIRCode(); got != tt.code {
				t.Fatalf("FHIRCode = %q, want %q", got, tt.code)
			}
			if tt.code != "" {
				if o, ok := OutcomeFromFHIR(tt.code); !ok || o != tt.o {
					t.Fatalf("OutcomeFromFHIR(%q) = %q", tt.code, o)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Event{Action: ActionSCRRead, Outcome: OutcomeSuccess, NHSNumber: "9434765919"}
	tests := []struct {
		name  string
		edit  func(*Event)
		valid bool
	}{
		{"good", func(*Event) {}, true},
		{"unknown action", func(e *Event) { e.Action = "x" }, false},
		{"unknown outcome", func(e *Event) { e.Outcome = "" }, false},
		{"short nhs number", func(e *Event) { e.NHSNumber = "943476591" }, false},
		{"letters in nhs number", func(e *Event) { e.NHSNumber = "94347659a9" }, false},
		{"long reason", func(e *Event) { e.Reason = strings.Repeat("x", MaxReasonLen+1) }, false},
		{"long user", func(e *Event) { e.UserName = strings.Repeat("x", MaxFieldLen+1) }, false},
		{"many request ids", func(e *Event) { e.RequestIDs = make([]string, MaxRequestIDs+1) }, false},
		{"big detail", func(e *Event) { e.Detail = map[string]string{"k": strings.Repeat("x", MaxDetailLen)} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.edit(&e)
			err := e.Validate()
			if (err == nil) != tt.valid {
				t.Fatalf("Validate = %v, want valid %v", err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error %v does not wrap ErrInvalidEvent", err)
			}
		})
	}
}

func sampleEntry(seq int64) Entry {
	return Entry{
		Seq: seq, ID: "0f8fad5b-d9cb-469f-a165-70867728950e",
		Time: time.Date(2026, 11, 21, 9, 30, 0, 123e6, time.UTC),
		Event: Event{Action: ActionSCRRead, Outcome: OutcomeSuccess, Workstation: "counter-1",
			ODSCode: "FA123", UserID: "555254239107", UserName: "A Pharmacist", URID: "555254240100",
			RoleCode: "S8000:G8000:R8003", NHSNumber: "9434765919", Reason: "",
			RequestIDs: []string{"60E0B220-8136-4CA5-AE46-1D97EF59D068"},
			Detail:     map[string]string{"sections": "5"}},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Entry)
	}{
		{"full", func(*Entry) {}},
		{"no patient, no ids, no detail", func(e *Entry) { e.NHSNumber, e.RequestIDs, e.Detail = "", nil, nil }},
		{"odd text", func(e *Entry) { e.UserName, e.Reason = "ünï \"<&>\" \n\t", "line\nbreak" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sampleEntry(7)
			tt.edit(&e)
			b := Encode(e)
			if !bytes.Equal(b, Encode(e)) {
				t.Fatal("Encode is not deterministic")
			}
			back, err := Decode(7, b, []byte{1, 2})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(Encode(back), b) {
				t.Fatalf("round trip changed the body:\n%s\n%s", b, Encode(back))
			}
			if back.ID != e.ID || !back.Time.Equal(e.Time) || back.Time.Location() != time.UTC || back.Seq != 7 {
				t.Fatalf("round trip: %+v", back)
			}
		})
	}
	got := string(Encode(Entry{ID: "x", Time: time.UnixMilli(5), Event: Event{Action: ActionSCRRead}}))
	want := `{"v":1,"id":"x","t":5,"a":"scr-read","o":"","ws":"","ods":"","uid":"","un":"","urid":"","rc":"","nhs":"","r":"","rq":[],"d":{}}`
	if got != want {
		t.Fatalf("body =\n%s\nwant\n%s", got, want)
	}
}

func TestMACCoversSeqAndPrev(t *testing.T) {
	c, err := NewChain(bytes.Repeat([]byte{1}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	body := Encode(sampleEntry(1))
	m1 := append([]byte(nil), c.MAC(nil, 1, body)...)
	if c.Check(nil, 2, body, m1) {
		t.Fatal("MAC does not cover the sequence number")
	}
	if c.Check(m1, 1, body, m1) {
		t.Fatal("MAC does not cover the previous MAC")
	}
	if !c.Check(nil, 1, body, m1) {
		t.Fatal("MAC does not verify")
	}
	if _, err := NewChain([]byte{1}); err == nil {
		t.Fatal("short key accepted")
	}
}

// memLog is an in-memory RowSource for chain tests.
type memLog struct {
	bodies map[int64][]byte
	macs   map[int64][]byte
	last   int64
}

func (m *memLog) Row(seq int64) ([]byte, []byte, bool, error) {
	b, ok := m.bodies[seq]
	return b, m.macs[seq], ok, nil
}
func (m *memLog) LastSeq() (int64, error) { return m.last, nil }

func buildLog(t *testing.T, key []byte, n int) *memLog {
	t.Helper()
	c, _ := NewChain(key)
	m := &memLog{bodies: map[int64][]byte{}, macs: map[int64][]byte{}}
	var prev []byte
	for i := int64(1); i <= int64(n); i++ {
		e := sampleEntry(i)
		e.UserName = strings.Repeat("u", int(i))
		b := Encode(e)
		mac := append([]byte(nil), c.MAC(prev, i, b)...)
		m.bodies[i], m.macs[i], prev, m.last = b, mac, mac, i
	}
	return m
}

// walk verifies m the way the store does and diagnoses the first failure.
func walk(t *testing.T, key []byte, m *memLog) (int64, Kind) {
	t.Helper()
	c, _ := NewChain(key)
	var prev []byte
	for i := int64(1); i <= m.last; i++ {
		b, mac, ok, _ := m.Row(i)
		if !ok {
			return i, KindDeleted
		}
		if !c.Check(prev, i, b, mac) {
			k, err := Diagnose(c, i, prev, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			return i, k
		}
		prev = mac
	}
	return 0, KindNone
}

func edit(m *memLog, seq int64, f func(*Entry)) {
	e, _ := Decode(seq, m.bodies[seq], nil)
	f(&e)
	m.bodies[seq] = Encode(e)
}

func TestDiagnose(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	other := bytes.Repeat([]byte{8}, KeySize)
	tests := []struct {
		name   string
		tamper func(m *memLog)
		key    []byte
		row    int64
		kind   Kind
	}{
		{"intact", func(*memLog) {}, key, 0, KindNone},
		{"edited", func(m *memLog) { edit(m, 4, func(e *Entry) { e.Reason = "x" }) }, key, 4, KindEdited},
		{"edited first", func(m *memLog) { edit(m, 1, func(e *Entry) { e.Reason = "x" }) }, key, 1, KindEdited},
		{"edited last", func(m *memLog) { edit(m, 10, func(e *Entry) { e.Reason = "x" }) }, key, 10, KindEdited},
		{"deleted", func(m *memLog) { delete(m.bodies, 5) }, key, 5, KindDeleted},
		{"swapped", func(m *memLog) {
			m.bodies[3], m.bodies[6] = m.bodies[6], m.bodies[3]
			m.macs[3], m.macs[6] = m.macs[6], m.macs[3]
		}, key, 3, KindReordered},
		{"other key", func(*memLog) {}, other, 1, KindKeyReplaced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := buildLog(t, key, 10)
			tt.tamper(m)
			row, kind := walk(t, tt.key, m)
			if row != tt.row || kind != tt.kind {
				t.Fatalf("first bad = %d %q, want %d %q", row, kind, tt.row, tt.kind)
			}
		})
	}
}

func TestReportMessages(t *testing.T) {
	for _, k := range []Kind{KindNone, KindEdited, KindDeleted, KindReordered, KindTruncated, KindKeyMissing, KindKeyReplaced} {
		if msg := (Report{Kind: k, FirstBad: 3}).Message(); msg == "" || strings.Contains(msg, "%!") {
			t.Errorf("%q: bad message %q", k, msg)
		}
	}
}

func FuzzParseUUID(f *testing.F) {
	for _, s := range []string{"0f8fad5b-d9cb-469f-a165-70867728950e", "", "0f8fad5b-d9cb-469f-a165-70867728950", "zz8fad5b-d9cb-469f-a165-70867728950e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUUID(s)
		if err != nil {
			return
		}
		if got := FormatUUID(u); !strings.EqualFold(got, s) {
			t.Fatalf("round trip %q -> %q", s, got)
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(sampleEntry(1)))
	f.Add(Encode(Entry{}))
	f.Add([]byte(`{"v":1,"rq":[1]}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"V":1,"ID":"x","A":"scr-read"}`))
	f.Add([]byte(`{"v":1,"a":"scr-read","a":"patient-read","d":{"k":"1","k":"2"}}`))
	f.Add([]byte("{\"v\":1,\"un\":\"\xff\"}"))
	f.Add([]byte(`{"v":1,"un":"\ud800","rq":null,"d":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(1, data, nil)
		// Decode reads with a faster library first: whatever encoding/json reads, it must read
		// the same, and what encoding/json refuses, it must refuse.
		var std body
		stdErr := json.Unmarshal(data, &std)
		if stdErr == nil && std.V == BodyVersion {
			if err != nil {
				t.Fatalf("Decode refused %q, which encoding/json reads: %v", data, err)
			}
			want, _ := decodeStd(data)
			if !bytes.Equal(Encode(e), Encode(want)) || e.ID != want.ID {
				t.Fatalf("Decode of %q differs from encoding/json's:\n%s\n%s", data, Encode(e), Encode(want))
			}
		} else if err == nil {
			t.Fatalf("Decode read %q, which encoding/json refuses (%v)", data, stdErr)
		}
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a body that decodes to the same entry.
		e2, err := Decode(1, Encode(e), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(Encode(e), Encode(e2)) {
			t.Fatalf("round trip of %q changed", data)
		}
	})
}

// decodeStd is Decode with encoding/json alone, for FuzzDecode to compare with.
func decodeStd(data []byte) (Entry, error) {
	var b body
	if err := json.Unmarshal(data, &b); err != nil {
		return Entry{}, err
	}
	return Entry{ID: b.ID, Time: time.UnixMilli(b.Time).UTC(), Event: Event{Action: Action(b.Action), Outcome: Outcome(b.Outcome),
		Workstation: b.Workstation, ODSCode: b.ODSCode, UserID: b.UserID, UserName: b.UserName,
		URID: b.URID, RoleCode: b.RoleCode, NHSNumber: b.NHSNumber, Reason: b.Reason, RequestIDs: b.RequestIDs, Detail: b.Detail}}, nil
}
