package staff

import "testing"

func TestRoleCan(t *testing.T) {
	r := Role{Activities: []string{"B0570", "B0401"}}
	for _, c := range []struct {
		name string
		acts []string
		want bool
	}{
		{"one matches", []string{"B0401"}, true},
		{"none match", []string{"B0015", "B0016"}, false},
		{"empty configuration allows nothing", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := r.Can(c.acts); got != c.want {
				t.Errorf("Can(%v) = %v, want %v", c.acts, got, c.want)
			}
		})
	}
}

func TestDemoUsersCoverTheDemoPanel(t *testing.T) {
	seen := map[string]bool{}
	ids := map[string]bool{}
	for _, u := range DemoUsers() {
		seen[u.Key] = true
		if len(u.UserID) != 12 || ids[u.UserID] {
			t.Errorf("%s: user id %q not 12 digits or not unique", u.Key, u.UserID)
		}
		ids[u.UserID] = true
		if len(u.PIN) < 6 || len(u.PIN) > 8 {
			t.Errorf("%s: passcode must be 6 to 8 digits", u.Key)
		}
	}
	for _, k := range []string{"pharmacist", "technician", "sgp", "assistant", "blocked", "expired"} {
		if !seen[k] {
			t.Errorf("no demo card %q", k)
		}
	}
	var scr, sgp, none int
	for _, u := range DemoUsers() {
		for _, r := range u.Roles {
			switch {
			case r.Can(DefaultSGPActivities):
				sgp++
			case r.Can(DefaultSCRActivities):
				scr++
			default:
				none++
			}
		}
	}
	if scr == 0 || sgp == 0 || none == 0 {
		t.Errorf("demo roles must include SCR (%d), SGP (%d) and no-SCR (%d) roles", scr, sgp, none)
	}
}
