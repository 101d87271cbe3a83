package governance

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"scrdesk/internal/audit"
)

// DemoStaff is a member of staff in the demo log.
type DemoStaff struct {
	UserID, Name, URID, RoleCode, Workstation string
}

// DemoLog makes a synthetic audit log of days days ending at end: several users on two
// workstations opening synthetic test patients' records through a pharmacy's week, with the
// situations that fire most rules (an emergency with a one-word reason, the same reason for two
// patients, an evening access, a busy day, a record opened again and again, a patient with the
// user's surname, deceased and restricted patients, a patient found by details, two sessions at
// once, failed sign-ins, a retry after the patient declined) and an access by the SGP herself.
// The same seed always gives the same log. Entries carry times but no sequence numbers.
func DemoLog(seed uint64, end time.Time, days int, staff []DemoStaff, sgp DemoStaff, ods string) []audit.Entry {
	r := rand.New(rand.NewPCG(seed, 13))
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		loc = time.UTC
	}
	var out []audit.Entry
	add := func(t time.Time, who DemoStaff, a audit.Action, o audit.Outcome, nhs string, mod ...func(*audit.Event)) {
		e := audit.Event{Action: a, Outcome: o, Workstation: who.Workstation, ODSCode: ods, UserID: who.UserID,
			UserName: who.Name, URID: who.URID, RoleCode: who.RoleCode, NHSNumber: nhs}
		for _, m := range mod {
			m(&e)
		}
		out = append(out, audit.Entry{Time: t.UTC(), Event: e})
	}
	flags := func(f ...audit.Flag) func(*audit.Event) {
		return func(e *audit.Event) { e.Detail = audit.WithFlags(e.Detail, f...) }
	}
	reason := func(s string) func(*audit.Event) { return func(e *audit.Event) { e.Reason = s } }
	// one whole access: search, demographics, consent, permission (or self-claim), record
	access := func(t time.Time, who DemoStaff, nhs string, basis string, extra ...func(*audit.Event)) time.Time {
		by := "nhs-number"
		for _, m := range extra {
			var probe audit.Event
			m(&probe)
			if probe.HasFlag(audit.FlagFoundByDetails) {
				by = "demographics"
			}
		}
		add(t, who, audit.ActionPatientSearch, audit.OutcomeSuccess, nhs, func(e *audit.Event) { e.Detail = map[string]string{"by": by} })
		t = t.Add(2 * time.Second)
		add(t, who, audit.ActionPatientRead, audit.OutcomeSuccess, nhs, extra...)
		t = t.Add(time.Second)
		add(t, who, audit.ActionConsentRead, audit.OutcomeSuccess, nhs)
		t = t.Add(20 * time.Second)
		switch basis {
		case "declined":
			add(t, who, audit.ActionPermissionNo, audit.OutcomeSuccess, nhs)
			return t
		case "emergency":
			add(t, who, audit.ActionEmergency, audit.OutcomeSuccess, nhs, extra...)
			add(t.Add(time.Second), who, audit.ActionAlertQueued, audit.OutcomeSuccess, nhs)
		case "selfclaim":
			add(t, who, audit.ActionSelfClaimLR, audit.OutcomeSuccess, nhs)
			add(t, who, audit.ActionPermission, audit.OutcomeSuccess, nhs)
			add(t.Add(time.Second), who, audit.ActionAlertQueued, audit.OutcomeSuccess, nhs)
		default:
			add(t, who, audit.ActionPermission, audit.OutcomeSuccess, nhs)
		}
		t = t.Add(3 * time.Second)
		add(t, who, audit.ActionSCRRead, audit.OutcomeSuccess, nhs, func(e *audit.Event) {
			e.Detail = map[string]string{"basis": basis, "sections": "4"}
		})
		return t
	}
	patients := make([]string, 400)
	for i := range patients {
		patients[i] = DemoNHSNumber(i)
	}
	start := time.Date(end.In(loc).Year(), end.In(loc).Month(), end.In(loc).Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -days)
	special := map[int]func(day time.Time){}
	at := func(day time.Time, hh, mm int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, loc)
	}
	u0, u1 := staff[0], staff[1%len(staff)]
	u2 := staff[2%len(staff)]
	special[days-2] = func(d time.Time) { // emergency with a one-word reason
		access(at(d, 11, 5), u0, patients[7], "emergency", reason("urgent"))
	}
	special[days-3] = func(d time.Time) { // a good emergency reason, and the same text for another patient
		access(at(d, 10, 12), u1, patients[8], "emergency", reason("Patient collapsed at the counter; checking allergies before giving aspirin"))
		access(at(d, 15, 40), u1, patients[9], "emergency", reason("Patient collapsed at the counter; checking allergies before giving aspirin"))
	}
	special[days-5] = func(d time.Time) { // evening access after closing
		w := u2
		add(at(d, 20, 25), w, audit.ActionLogin, audit.OutcomeSuccess, "")
		access(at(d, 20, 31), w, patients[11], "permission")
		add(at(d, 20, 40), w, audit.ActionLogout, audit.OutcomeSuccess, "")
	}
	special[days-6] = func(d time.Time) { // same surname, deceased, restricted, found by details
		access(at(d, 9, 40), u0, patients[12], "permission", flags(audit.FlagSameSurname))
		access(at(d, 10, 40), u1, patients[13], "selfclaim", flags(audit.FlagDeceased))
		access(at(d, 12, 10), u2, patients[14], "permission", flags(audit.FlagRestricted))
		access(at(d, 14, 20), u0, patients[15], "permission", flags(audit.FlagFoundByDetails))
	}
	special[days-8] = func(d time.Time) { // the same record again and again
		access(at(d, 9, 15), u1, patients[16], "permission")
		access(at(d, 13, 15), u1, patients[16], "permission")
	}
	special[days-7] = func(d time.Time) {
		access(at(d, 10, 5), u1, patients[16], "permission")
	}
	special[days-9] = func(d time.Time) { // two sessions at once; failed sign-ins
		w := u0
		w.Workstation = otherWorkstation(u0.Workstation)
		add(at(d, 11, 0), w, audit.ActionLogin, audit.OutcomeSuccess, "")
		add(at(d, 11, 20), w, audit.ActionLogout, audit.OutcomeSuccess, "")
		for i := 0; i < 3; i++ {
			add(at(d, 13, 1+i), u2, audit.ActionWrongPasscode, audit.OutcomeMinorFailure, "", reason("wrong passcode"))
		}
		// The workstation's clock jumped an hour forward (a time-zone mistake), as the store flags it.
		add(at(d, 15, 0), u2, audit.ActionUnlock, audit.OutcomeSuccess, "", func(e *audit.Event) {
			e.Detail = map[string]string{audit.DetailClockJump: "3600000"}
		})
	}
	special[days-10] = func(d time.Time) { // declined, then opened again
		t := access(at(d, 16, 0), u2, patients[17], "declined")
		access(t.Add(10*time.Minute), u2, patients[17], "selfclaim")
	}
	special[days-11] = func(d time.Time) { // the SGP opens a record herself
		w := sgp
		add(at(d, 12, 0), w, audit.ActionLogin, audit.OutcomeSuccess, "")
		access(at(d, 12, 2), w, patients[18], "emergency", reason("Locum asked for a check of interactions while the pharmacist was out"))
		add(at(d, 12, 10), w, audit.ActionLogout, audit.OutcomeSuccess, "")
	}
	special[days-4] = func(d time.Time) { // a busy day for one user
		for i := 0; i < 45; i++ {
			access(at(d, 9, 30).Add(time.Duration(i)*9*time.Minute), u1, patients[100+i], "permission")
		}
	}
	for day := 0; day < days; day++ {
		d := start.AddDate(0, 0, day)
		if f := special[day]; f != nil {
			f(d)
		}
		if d.Weekday() == time.Sunday {
			continue
		}
		for _, who := range staff {
			if r.IntN(7) == 0 {
				continue // a day off
			}
			t := at(d, 9, r.IntN(20))
			add(t, who, audit.ActionLogin, audit.OutcomeSuccess, "")
			n := 4 + r.IntN(5)
			for i := 0; i < n; i++ {
				t = t.Add(time.Duration(20+r.IntN(40)) * time.Minute)
				basis := "permission"
				if r.IntN(6) == 0 {
					basis = "selfclaim"
				}
				t = access(t, who, patients[20+r.IntN(80)], basis)
				if r.IntN(3) == 0 {
					t = t.Add(4 * time.Minute)
					add(t, who, audit.ActionLockIdle, audit.OutcomeSuccess, "")
					t = t.Add(time.Duration(1+r.IntN(30)) * time.Minute)
					add(t, who, audit.ActionUnlock, audit.OutcomeSuccess, "")
				}
			}
			add(at(d, 17, 30+r.IntN(25)), who, audit.ActionLogout, audit.OutcomeSuccess, "")
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func otherWorkstation(w string) string {
	if w == "COUNTER-2" {
		return "COUNTER-1"
	}
	return "COUNTER-2"
}

// DemoNHSNumber is the k-th synthetic test NHS number (the 999 test range; valid check digit).
func DemoNHSNumber(k int) string {
	for d := 5000 + k*7; ; d++ {
		s := fmt.Sprintf("999%06d", d%1_000_000)
		sum := 0
		for i := range 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			return s + strconv.Itoa(c)
		}
	}
}
