// Package staff holds the plain types for the people who use SCR Desk and the roles on their
// smartcards, and the demo users that demo mode, the built-in sandbox and the tests share.
//
// A role is one line of the identity service's `nhsid_nrbac_roles[]` (docs/domain.md, "Identity"):
// its URID (`person_roleid`, sent as NHSD-Session-URID), organisation, role code and the activity
// codes that say what the role may do. Which activity codes allow what is configuration
// (settings), never a constant here: DefaultSCRActivities and DefaultSGPActivities are only the
// defaults that settings start from.
//
// The package is a leaf: standard library only, no state, safe for concurrent use.
package staff

import "slices"

// Role is one of a user's role profiles.
type Role struct {
	URID       string   // user role profile id (person_roleid)
	OrgCode    string   // ODS code of the organisation
	OrgName    string   // organisation's name, when known
	RoleCode   string   // S…:G…:R… job role code
	RoleName   string   // human-readable role name
	Activities []string // activity codes (B…)
}

// Can reports whether the role carries at least one of the given activity codes.
func (r Role) Can(activities []string) bool {
	for _, a := range r.Activities {
		if slices.Contains(activities, a) {
			return true
		}
	}
	return false
}

// DefaultSCRActivities are the activity codes that settings start from for "may open a Summary
// Care Record": B0370 and B0360 (the SCR viewing activities) and B0401 (View Patient
// Medication, carried by the pharmacy role in NHS England's published identity example).
var DefaultSCRActivities = []string{"B0370", "B0360", "B0401"}

// DefaultSGPActivities are the SCR Governance Person's activity codes (docs/domain.md): receive
// emergency view alerts and receive self-claimed legitimate relationship alerts.
var DefaultSGPActivities = []string{"B0015", "B0016"}

// DemoUser is a demo smartcard's holder: who the card says they are, its passcode (printed on
// the demo panel: these cards protect nothing), the roles the built-in sandbox gives them, and
// how the card is made.
type DemoUser struct {
	Key       string // short stable name: "pharmacist", "technician", ...
	Label     string // what the demo panel calls the card
	UserID    string // 12-digit NHS user id (certificate subject serialNumber)
	Name      string // certificate CN
	PIN       string
	Roles     []Role
	Blocked   bool // the card's passcode is already blocked
	Expired   bool // the card's certificate has expired
	TriesLeft int  // passcode tries left on a fresh card
}

// DemoODS and DemoPharmacy name the demo pharmacy.
const (
	DemoODS      = "FA123"
	DemoPharmacy = "Demo Pharmacy, Leeds"
)

// DemoUsers returns the demo cards' holders, in the order the demo panel shows them. Each call
// returns a fresh copy.
func DemoUsers() []DemoUser {
	pharmacy := func(urid, code, name string, acts ...string) Role {
		return Role{URID: urid, OrgCode: DemoODS, OrgName: DemoPharmacy, RoleCode: code, RoleName: name, Activities: acts}
	}
	return []DemoUser{
		{Key: "pharmacist", Label: "Pharmacist", UserID: "555000000011", Name: "Priya Shah", PIN: "123456", TriesLeft: 3,
			Roles: []Role{pharmacy("555000001101", "S8000:G8000:R8003", "Pharmacist (Health Professional Access Role)", "B0570", "B0572", "B0401", "B0068")}},
		{Key: "technician", Label: "Pharmacy technician", UserID: "555000000022", Name: "Tom Evans", PIN: "234567", TriesLeft: 3,
			Roles: []Role{
				pharmacy("555000002201", "S8000:G8000:R8004", "Pharmacy Technician (Health Professional Access Role)", "B0570", "B0401"),
				{URID: "555000002202", OrgCode: "FX456", OrgName: "Riverside Pharmacy, York", RoleCode: "S8000:G8000:R8004",
					RoleName: "Pharmacy Technician (Health Professional Access Role)", Activities: []string{"B0570", "B0401"}},
			}},
		{Key: "sgp", Label: "SCR Governance Person", UserID: "555000000033", Name: "Grace Okafor", PIN: "345678", TriesLeft: 3,
			Roles: []Role{
				pharmacy("555000003301", "S8000:G8000:R0001", "SCR Governance Person (Privacy Officer)", "B0015", "B0016"),
				pharmacy("555000003302", "S8000:G8000:R8003", "Pharmacist (Health Professional Access Role)", "B0570", "B0572", "B0401"),
			}},
		{Key: "assistant", Label: "Counter assistant (no SCR role)", UserID: "555000000044", Name: "Sam Lee", PIN: "456789", TriesLeft: 3,
			Roles: []Role{pharmacy("555000004401", "S8000:G8000:R8008", "Counter Assistant (Admin/Clinical Support Access Role)", "B0825")}},
		{Key: "blocked", Label: "Blocked card", UserID: "555000000055", Name: "Alex Morgan", PIN: "567890", Blocked: true, TriesLeft: 0,
			Roles: []Role{pharmacy("555000005501", "S8000:G8000:R8003", "Pharmacist (Health Professional Access Role)", "B0570", "B0401")}},
		{Key: "expired", Label: "Expired card", UserID: "555000000066", Name: "Jo Patel", PIN: "678901", Expired: true, TriesLeft: 3,
			Roles: []Role{pharmacy("555000006601", "S8000:G8000:R8003", "Pharmacist (Health Professional Access Role)", "B0570", "B0401")}},
	}
}

// DemoRoles maps each demo user id to their roles, as the built-in sandbox's default users.
func DemoRoles() map[string][]Role {
	m := map[string][]Role{}
	for _, u := range DemoUsers() {
		m[u.UserID] = u.Roles
	}
	return m
}
