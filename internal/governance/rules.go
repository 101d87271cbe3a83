// Package governance is the SCR Governance Person's logic, pure and deterministic: the
// detection rules of SGP.md run over audit entries (Engine, which takes its configuration from
// the log's governance-rules-set entries as it passes them: config.go), the review case as a state machine
// (Apply), and sampling by the SOP with a recorded seed (Sampled). It reads audit entries and
// returns plain values; it never touches the store, the clock or the screen.
//
// The package is a leaf: standard library and internal/audit only.
package governance

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"scrdesk/internal/audit"
)

// RuleID names a detection rule. Its value is stored (the rule-hits table, case rows) and never
// changes once released.
type RuleID string

// The rules of SGP.md's table, in its order.
const (
	RuleEmergency     RuleID = "emergency-access"
	RuleSelfClaim     RuleID = "self-claimed-relationship"
	RuleWeakReason    RuleID = "weak-reason"
	RuleOutOfHours    RuleID = "out-of-hours"
	RuleVolumeSpike   RuleID = "volume-spike"
	RuleRepeat        RuleID = "repeat-reopening"
	RuleSameSurname   RuleID = "same-surname"
	RuleSelfLookup    RuleID = "self-lookup"
	RuleDeceased      RuleID = "deceased-patient"
	RuleRestricted    RuleID = "restricted-patient"
	RuleByDetails     RuleID = "found-by-details"
	RuleConcurrent    RuleID = "concurrent-sessions"
	RuleFailedSignIns RuleID = "failed-sign-ins"
	RuleRefusedRetry  RuleID = "refused-then-retried"
	// RuleSecuritySetting: a setting that decides who may sign in, where requests go or when
	// the screen locks was changed (by a settings file from the computer's account, or on the
	// settings screen): one hit per save, naming the fields and who or what made the change.
	RuleSecuritySetting RuleID = "security-setting-changed"
	// RuleClockChanged: the workstation's clock was put back, or jumped, between two entries
	// (the store flags the entry): times around it, and the rules that count within a window
	// of time, cannot be taken at face value.
	RuleClockChanged RuleID = "clock-changed"
)

// RuleInfo describes a rule for the screens and reports.
type RuleInfo struct {
	ID    RuleID
	Label string // plain English, short
	// Risk orders the case queue: a case's risk is the sum of its rules' risks.
	Risk int
}

var rules = []RuleInfo{
	{RuleEmergency, "Emergency access", 5},
	{RuleSelfClaim, "Self-claimed relationship", 3},
	{RuleWeakReason, "Missing or boilerplate reason", 4},
	{RuleOutOfHours, "Out of hours", 2},
	{RuleVolumeSpike, "Unusually many accesses", 3},
	{RuleRepeat, "Record opened again and again", 2},
	{RuleSameSurname, "Same surname as the user", 4},
	{RuleSelfLookup, "User looked up themselves", 5},
	{RuleDeceased, "Deceased patient", 3},
	{RuleRestricted, "Restricted patient", 4},
	{RuleByDetails, "Found by details, not NHS number", 1},
	{RuleConcurrent, "Signed in on two workstations", 3},
	{RuleFailedSignIns, "Repeated failed sign-ins", 3},
	{RuleRefusedRetry, "Tried again after a refusal", 3},
	{RuleSecuritySetting, "Security setting changed", 4},
	{RuleClockChanged, "Workstation clock changed", 3},
}

// securityFields are the settings whose change the SGP must see: who may sign in (trust
// anchors, ODS code, permitted activities), where requests and the audit copy go (environment,
// base URL, client certificate, central database) and how soon the screen locks.
var securityFields = map[string]string{
	"ods_code": "ODS code", "environment": "environment", "base_url": "base URL",
	"card_removal": "card removal", "idle_lock_minutes": "idle lock", "trust_anchors_file": "trust anchors",
	"client_cert_file": "client certificate", "permitted_activity_codes": "permitted activity codes",
	"central_dsn": "central audit database", "central_sgp_dsn": "central audit database (SGP)",
	"(whole document)": "the whole settings document",
	// What the SGP sees: the opening hours and every rule's switch, thresholds and review
	// share (fields "rules.<rule>.<name>", see settingName), and the review period.
	"opening_hours": "opening hours", "rules.review_period": "review period",
}

// Rules lists every rule in SGP.md's order.
func Rules() []RuleInfo { return slices.Clone(rules) }

// Info returns a rule's description; ok is false for an unknown rule.
func (r RuleID) Info() (RuleInfo, bool) {
	for _, i := range rules {
		if i.ID == r {
			return i, true
		}
	}
	return RuleInfo{ID: r, Label: string(r), Risk: 1}, false
}

// Label is the rule's plain-English name.
func (r RuleID) Label() string { i, _ := r.Info(); return i.Label }

// OpeningHours is when the pharmacy is open, in its own time zone: per weekday (time.Sunday=0)
// an opening and closing minute after midnight; a day with Open == Close is a closed day.
type OpeningHours struct {
	Days     [7]struct{ Open, Close int }
	Location *time.Location
}

// Open reports whether t falls inside the opening hours.
func (h OpeningHours) Open(t time.Time) bool {
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	l := t.In(loc)
	d := h.Days[l.Weekday()]
	m := l.Hour()*60 + l.Minute()
	return d.Open < d.Close && m >= d.Open && m < d.Close
}

// Config holds every rule's switch and thresholds and the SOP's review rates. The zero value is
// not useful: start from DefaultConfig.
type Config struct {
	// Disabled rules raise no hits.
	Disabled map[RuleID]bool
	Hours    OpeningHours
	// MinReasonChars: an emergency reason shorter than this (trimmed) is "missing or short".
	MinReasonChars int
	// SpikeDays, SpikeSigma, SpikeFloor: a user's accesses in a day exceed mean + SpikeSigma
	// standard deviations of their previous SpikeDays days, and at least SpikeFloor.
	SpikeDays  int
	SpikeSigma float64
	SpikeFloor int
	// RepeatCount opens of one patient by one user within RepeatWithin.
	RepeatCount  int
	RepeatWithin time.Duration
	// FailedCount failed sign-ins on one workstation within FailedWithin.
	FailedCount  int
	FailedWithin time.Duration
	// RetryWithin: another attempt this soon after a refusal or decline.
	RetryWithin time.Duration
	// SessionMax: a sign-in older than this without a lock or sign-out no longer counts as open.
	SessionMax time.Duration

	// ReviewRate is the share (0..1) of each rule's cases the SOP says to review; a rule not
	// listed uses DefaultRate. ReviewPeriod is how often reviews are due.
	ReviewRate   map[RuleID]float64
	DefaultRate  float64
	ReviewPeriod time.Duration
}

// DefaultConfig is SGP.md's defaults: every rule on; open 09:00-18:00 Monday to Saturday,
// closed Sunday, in Europe/London; 100% review of emergency access and of the other rules'
// hits, 50% of self-claims; weekly reviews.
func DefaultConfig() Config {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		loc = time.UTC
	}
	c := Config{
		Disabled: map[RuleID]bool{}, MinReasonChars: 15,
		SpikeDays: 28, SpikeSigma: 3, SpikeFloor: 20,
		RepeatCount: 3, RepeatWithin: 72 * time.Hour,
		FailedCount: 3, FailedWithin: 10 * time.Minute,
		RetryWithin: time.Hour, SessionMax: 12 * time.Hour,
		ReviewRate:  map[RuleID]float64{RuleEmergency: 1, RuleSelfClaim: 0.5},
		DefaultRate: 1, ReviewPeriod: 7 * 24 * time.Hour,
	}
	c.Hours.Location = loc
	for d := time.Monday; d <= time.Saturday; d++ {
		c.Hours.Days[d].Open, c.Hours.Days[d].Close = 9*60, 18*60
	}
	return c
}

// Rate is the review rate for rule r.
func (c Config) Rate(r RuleID) float64 {
	if v, ok := c.ReviewRate[r]; ok {
		return v
	}
	return c.DefaultRate
}

// Hit is one rule firing on one entry, with the evidence it used in plain words.
type Hit struct {
	Rule RuleID
	// Seq is the entry the rule flags (the access, sign-in or attempt).
	Seq         int64
	Time        time.Time
	UserID      string
	UserName    string
	NHSNumber   string
	Workstation string
	// Evidence says what the rule saw, without patient details beyond the row's own.
	Evidence string
	// Related are other entries the rule used (earlier opens, the refusal, the other session).
	Related []int64
}

// IsAccess reports whether e is an access to a patient's record: the demographics were viewed
// (every opening starts with one) or an emergency or self-claimed access was made.
func IsAccess(e audit.Entry) bool {
	return e.Outcome == audit.OutcomeSuccess && e.NHSNumber != "" &&
		(e.Action == audit.ActionPatientRead || e.Action == audit.ActionEmergency || e.Action == audit.ActionSelfClaimLR)
}

// Engine runs the rules over entries given in sequence order. It keeps the little state the
// windowed rules need (days of counts per user, recent opens, open sessions), pruned as time
// moves on, so its memory stays flat however long the log. Not safe for concurrent use.
type Engine struct {
	cfg Config

	days     map[string]*userDays          // user -> per-day access counts
	opens    map[[2]string][]stamp         // (user, patient) -> recent opens
	reasons  map[string][]reasonUse        // normalised emergency reason -> latest use per patient, within ReasonWithin
	sessions map[string]map[string]session // user -> workstation -> open session
	fails    map[string][]stamp            // workstation -> recent failed sign-ins
	refusals map[[2]string]stamp           // (user, patient) -> last refusal or decline
	setting  string                        // the settings save (document hash) last flagged
	lastTime time.Time
	pruneAt  time.Time
}

type stamp struct {
	seq int64
	t   time.Time
}

type reasonUse struct {
	seq int64
	nhs string
	t   time.Time
}

type session struct {
	seq int64
	t   time.Time
}

type userDays struct {
	day    int64   // the current day (days since epoch in the pharmacy's zone)
	count  int     // accesses today
	fired  bool    // the spike rule already fired today
	counts []int64 // previous days' counts, oldest first, at most SpikeDays
	prev   int64   // day of counts' last element
}

// NewEngine makes an engine with cfg.
func NewEngine(cfg Config) *Engine {
	if cfg.Disabled == nil {
		cfg.Disabled = map[RuleID]bool{}
	}
	return &Engine{cfg: cfg, days: map[string]*userDays{}, opens: map[[2]string][]stamp{},
		reasons: map[string][]reasonUse{}, sessions: map[string]map[string]session{},
		fails: map[string][]stamp{}, refusals: map[[2]string]stamp{}}
}

// EngineVersion changes whenever a rule judges the same rows differently: the store rebuilds
// the review cases from the log when the ones it holds were raised by another version, so the
// cases and Verify's fresh engine always agree. 2: the weak-reason rule's 28-day window, the
// volume spike's exact baseline, users known before a restart. 3: failed sign-ins no longer
// count a sign-in cancelled or stopped by the card coming out.
const EngineVersion = 3

// KnowUsers tells an engine that starts part-way through the log (a restart's warm-up) which
// users accessed records before its first row: each starts with a baseline of days without
// accesses, as an engine that read the whole log would have, so a user back after a long
// absence is judged alike by both on the first day back. Call before the first Check.
func (g *Engine) KnowUsers(ids []string, before time.Time) {
	d := g.dayOf(before) - 2*int64(max(g.cfg.SpikeDays, 1)) - 1 // long enough ago that the baseline is all zeros
	for _, id := range ids {
		if g.days[id] == nil {
			g.days[id] = &userDays{day: d}
		}
	}
}

// Config returns the engine's configuration.
func (g *Engine) Config() Config { return g.cfg }

// SetConfig replaces the engine's configuration for the entries checked from now on (new
// opening hours, say); what it has seen (its windows) stays. Not safe beside Check.
func (g *Engine) SetConfig(cfg Config) {
	if cfg.Disabled == nil {
		cfg.Disabled = map[RuleID]bool{}
	}
	g.cfg = cfg
}

func (g *Engine) on(r RuleID) bool { return !g.cfg.Disabled[r] }

// Check runs every enabled rule on e (the next entry in sequence order) and returns its hits.
func (g *Engine) Check(e audit.Entry) []Hit {
	var hits []Hit
	hit := func(r RuleID, evidence string, related ...int64) {
		if !g.on(r) {
			return
		}
		hits = append(hits, Hit{Rule: r, Seq: e.Seq, Time: e.Time, UserID: e.UserID, UserName: e.UserName,
			NHSNumber: e.NHSNumber, Workstation: e.Workstation, Evidence: evidence, Related: related})
	}
	g.lastTime = e.Time
	g.prune(e.Time)
	pair := [2]string{e.UserID, e.NHSNumber}
	g.checkClock(e, hit)

	switch e.Action {
	case audit.ActionEmergency:
		if e.Outcome == audit.OutcomeSuccess {
			hit(RuleEmergency, "Opened without the patient's permission, reason given: "+quote(e.Reason))
			g.checkReason(e, hit)
		}
	case audit.ActionSelfClaimLR:
		if e.Outcome == audit.OutcomeSuccess {
			hit(RuleSelfClaim, "The user self-claimed a care relationship with the patient")
		}
	case audit.ActionPermissionNo:
		g.refusals[pair] = stamp{e.Seq, e.Time}
	case audit.ActionSCRRead:
		if e.Outcome != audit.OutcomeSuccess && e.NHSNumber != "" {
			g.refusals[pair] = stamp{e.Seq, e.Time}
		}
	case audit.ActionLogin, audit.ActionUnlock:
		if e.Outcome == audit.OutcomeSuccess {
			g.checkConcurrent(e, hit)
		} else if e.Action == audit.ActionLogin && !notAFailure(e.Reason) {
			g.checkFailed(e, hit)
		}
	case audit.ActionWrongPasscode, audit.ActionCardBlocked:
		g.checkFailed(e, hit)
	case audit.ActionSettingsChanged:
		g.checkSetting(e, hit)
	case audit.ActionRulesSet:
		// The rules' settings from the next entry on. A configuration this version cannot
		// read (a zone this computer lacks) leaves the one in force.
		// Settings no save recorded (audit.DetailRulesUnrecorded) are a case under the rules
		// in force until now, so switching this very rule off that way is seen too.
		if e.Outcome == audit.OutcomeSuccess {
			if cfg, err := DecodeConfig(e.Detail[audit.DetailRulesConfig]); err == nil {
				if e.Detail[audit.DetailRulesUnrecorded] != "" {
					g.checkUnrecorded(cfg, hit)
				}
				g.SetConfig(cfg)
			}
		}
	case audit.ActionLogout, audit.ActionLockCardRemoved, audit.ActionLockIdle, audit.ActionLockManual,
		audit.ActionLockServiceLost:
		if ws := g.sessions[e.UserID]; ws != nil {
			delete(ws, e.Workstation)
		}
	}
	if IsAccess(e) {
		if r, ok := g.refusals[pair]; ok && e.Time.Sub(r.t) <= g.cfg.RetryWithin && r.seq != e.Seq {
			hit(RuleRefusedRetry, fmt.Sprintf("Another attempt %s after the patient declined or the Spine refused (entry %d)",
				plainDuration(e.Time.Sub(r.t)), r.seq), r.seq)
			delete(g.refusals, pair)
		}
	}
	if e.Action != audit.ActionPatientRead || e.Outcome != audit.OutcomeSuccess || e.NHSNumber == "" {
		return hits
	}
	// The access itself: demographics viewed.
	if !g.cfg.Hours.Open(e.Time) {
		loc := g.cfg.Hours.Location
		if loc == nil {
			loc = time.UTC
		}
		hit(RuleOutOfHours, "Opened at "+e.Time.In(loc).Format("15:04 on Monday 2 January")+", outside the pharmacy's opening hours")
	}
	for _, f := range []struct {
		flag audit.Flag
		rule RuleID
		text string
	}{
		{audit.FlagSameSurname, RuleSameSurname, "The patient's family name is the same as the user's"},
		{audit.FlagSelfLookup, RuleSelfLookup, "The patient's name is the user's own"},
		{audit.FlagDeceased, RuleDeceased, "The patient was recorded as deceased when the record was opened"},
		{audit.FlagRestricted, RuleRestricted, "The patient's details are restricted"},
		{audit.FlagFoundByDetails, RuleByDetails, "The patient was found by name and details, not by NHS number"},
	} {
		if e.HasFlag(f.flag) {
			hit(f.rule, f.text)
		}
	}
	g.checkRepeat(e, pair, hit)
	g.checkSpike(e, hit)
	return hits
}

func quote(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

func normalise(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

func (g *Engine) checkReason(e audit.Entry, hit func(RuleID, string, ...int64)) {
	r := normalise(e.Reason)
	switch n := len([]rune(r)); {
	case n == 0:
		hit(RuleWeakReason, "No reason was written")
		return
	case n < g.cfg.MinReasonChars:
		hit(RuleWeakReason, fmt.Sprintf("The reason has %d characters, fewer than %d", n, g.cfg.MinReasonChars))
		return
	}
	// The uses of this reason within ReasonWithin (older ones dropped here, not left to the
	// pruning's timing), one per patient, the latest: what they say depends only on the rows
	// of that window, so an engine that started at a restart's warm-up (which re-reads more
	// than it) and Verify's, which read the whole log, always agree.
	var other *reasonUse
	uses := g.reasons[r][:0]
	for _, u := range g.reasons[r] {
		if e.Time.Sub(u.t) > ReasonWithin || u.nhs == e.NHSNumber {
			continue
		}
		uses = append(uses, u)
		if other == nil || u.seq > other.seq {
			other = &uses[len(uses)-1]
		}
	}
	var hitSeq int64
	if other != nil {
		hitSeq = other.seq
	}
	g.reasons[r] = append(uses, reasonUse{e.Seq, e.NHSNumber, e.Time})
	if hitSeq != 0 {
		hit(RuleWeakReason, fmt.Sprintf("The same reason was given for another patient (entry %d)", hitSeq), hitSeq)
	}
}

// ReasonWithin is how far back the weak-reason rule looks for the same emergency reason given
// for another patient. It stays within the 29 days the rules re-read when they start (as the
// settings' windows do): the rules restarted and Verify then judge every row alike.
const ReasonWithin = 28 * 24 * time.Hour

func (g *Engine) checkConcurrent(e audit.Entry, hit func(RuleID, string, ...int64)) {
	ws := g.sessions[e.UserID]
	if ws == nil {
		ws = map[string]session{}
		g.sessions[e.UserID] = ws
	}
	for other, s := range ws {
		if other != e.Workstation && e.Time.Sub(s.t) <= g.cfg.SessionMax {
			hit(RuleConcurrent, fmt.Sprintf("Signed in here while still signed in on %s since %s (entry %d)",
				plainWorkstation(other), s.t.In(g.loc()).Format("15:04"), s.seq), s.seq)
			break
		}
	}
	ws[e.Workstation] = session{e.Seq, e.Time}
}

func plainWorkstation(w string) string {
	if w == "" {
		return "another workstation"
	}
	return w
}

func (g *Engine) loc() *time.Location {
	if g.cfg.Hours.Location != nil {
		return g.cfg.Hours.Location
	}
	return time.UTC
}

// checkSetting flags a save that changed a security setting, once per save (the rows of one
// save share the saved document's hash).
func (g *Engine) checkSetting(e audit.Entry, hit func(RuleID, string, ...int64)) {
	name, ok := settingName(e.Detail["field"])
	if !ok || e.Outcome != audit.OutcomeSuccess {
		return
	}
	save := e.Detail["doc_sha256"] // the store's settings-document hash
	if save != "" && save == g.setting {
		return
	}
	g.setting = save
	by := "on the settings screen by " + orSomeone(e.UserName)
	if e.UserID == "" {
		by = "by the computer account " + orSomeone(e.UserName)
		if e.Reason != "" {
			by += " (" + e.Reason + ")"
		}
	}
	if strings.HasSuffix(e.Detail["field"], ".off") {
		state := "on"
		if e.Detail["new"] == "true" {
			state = "off"
		}
		hit(RuleSecuritySetting, fmt.Sprintf("The %s was switched %s %s", name, state, by)+alsoChanged(e))
		return
	}
	hit(RuleSecuritySetting, fmt.Sprintf("The %s setting was changed from %s to %s %s", name,
		quote(e.Detail["old"]), quote(e.Detail["new"]), by)+alsoChanged(e))
}

// checkUnrecorded raises the case for rules that started with settings cfg the log had not
// recorded: nobody is named as having changed them, so the SGP is told what changed.
func (g *Engine) checkUnrecorded(cfg Config, hit func(RuleID, string, ...int64)) {
	changed := cfg.ChangedFrom(g.cfg)
	if len(changed) == 0 {
		if cfg.Equal(g.cfg) {
			return // nothing changed
		}
		changed = []string{"a setting this version cannot name (see the governance-rules-set entry)"}
	}
	hit(RuleSecuritySetting, "The rules started with settings the audit log had not recorded (no save on the "+
		"settings screen or from a settings file names who made them): "+strings.Join(changed, "; "))
}

// DetailSaveFields is the detail key, on a settings-changed row, of every field the same save
// changed (comma-separated, in order; "…" last when the list was cut to fit the row), so that
// the one case a save raises can name them all.
const DetailSaveFields = "save_fields"

// alsoChanged names the other security settings the row's save changed ("; the same save also
// changed the trust anchors and the Out of hours rule's review share (%)"), or "".
func alsoChanged(e audit.Entry) string {
	var names []string
	cut := false
	for _, f := range strings.Split(e.Detail[DetailSaveFields], ",") {
		if f == "…" {
			cut = true
			continue
		}
		if f == "" || f == e.Detail["field"] {
			continue
		}
		if n, ok := settingName(f); ok {
			names = append(names, "the "+n)
		}
	}
	if len(names) == 0 && !cut {
		return ""
	}
	s := "; the same save also changed "
	switch {
	case len(names) == 0:
		return s + "more settings (see the settings-changed entries of this save)"
	case len(names) == 1:
		s += names[0]
	default:
		s += strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	if cut {
		s += ", and more (see the settings-changed entries of this save)"
	}
	return s
}

// ruleSettingWords name the settings of one rule ("rules.<rule>.<name>", the rule's id with
// "_" for "-").
var ruleSettingWords = map[string]string{
	"off": "", "review_percent": "review share (%)", "min_chars": "shortest reason (characters)",
	"days": "baseline (days)", "sigma": "standard deviations", "floor": "accesses a day at least",
	"count": "count", "within": "time window",
}

// settingName is the plain name of a settings field whose change the SGP must see, if it is one.
func settingName(field string) (string, bool) {
	if n, ok := securityFields[field]; ok {
		return n, true
	}
	rest, ok := strings.CutPrefix(field, "rules.")
	if !ok {
		return "", false
	}
	key, what, ok := strings.Cut(rest, ".")
	words, known := ruleSettingWords[what]
	r := RuleID(strings.ReplaceAll(key, "_", "-"))
	if _, isRule := r.Info(); !ok || !known || !isRule {
		return "", false
	}
	if words == "" {
		return r.SGPName() + " rule", true
	}
	return r.SGPName() + " rule's " + words, true
}

// checkClock flags an entry the store marked: a clock put back, or a jump of the wall clock.
func (g *Engine) checkClock(e audit.Entry, hit func(RuleID, string, ...int64)) {
	ms := func(k string) (time.Duration, bool) {
		n, err := strconv.ParseInt(e.Detail[k], 10, 64)
		return time.Duration(n) * time.Millisecond, err == nil && n != 0
	}
	where := " on " + plainWorkstation(e.Workstation)
	if d, ok := ms(audit.DetailClockJump); ok {
		dir := "forward"
		if d < 0 {
			dir, d = "back", -d
		}
		hit(RuleClockChanged, "The clock"+where+" jumped "+dir+" by "+plainDuration(d)+" since the entry before: times near this entry may be wrong")
		return
	}
	if d, ok := ms(audit.DetailClockBehind); ok {
		hit(RuleClockChanged, "This entry's time is "+plainDuration(d)+" before the entry before it: the clock"+where+" was put back")
	}
}

func orSomeone(s string) string {
	if s == "" {
		return "an unknown account"
	}
	return s
}

// Reasons of sign-in rows that ended without anything failing: the person cancelled, or took
// the card out before the end (the session machine's words). SGP.md's rule is "repeated wrong
// passcodes or refused cards"; counting these raised cases where no passcode had been wrong.
const (
	reasonSignInCancelled = "sign-in cancelled"
	reasonSignInStopped   = "sign-in stopped: "
)

func notAFailure(reason string) bool {
	return reason == reasonSignInCancelled || strings.HasPrefix(reason, reasonSignInStopped)
}

func (g *Engine) checkFailed(e audit.Entry, hit func(RuleID, string, ...int64)) {
	list := append(g.fails[e.Workstation], stamp{e.Seq, e.Time})
	// keep only the window
	i := 0
	for i < len(list) && e.Time.Sub(list[i].t) > g.cfg.FailedWithin {
		i++
	}
	list = list[i:]
	if len(list) >= g.cfg.FailedCount {
		rel := make([]int64, 0, len(list)-1)
		for _, s := range list[:len(list)-1] {
			rel = append(rel, s.seq)
		}
		hit(RuleFailedSignIns, fmt.Sprintf("%d failed sign-ins (wrong passcode or refused card) on %s within %s",
			len(list), plainWorkstation(e.Workstation), plainDuration(g.cfg.FailedWithin)), rel...)
		list = nil // one hit per burst
	}
	g.fails[e.Workstation] = list
}

func (g *Engine) checkRepeat(e audit.Entry, pair [2]string, hit func(RuleID, string, ...int64)) {
	list := append(g.opens[pair], stamp{e.Seq, e.Time})
	i := 0
	for i < len(list) && e.Time.Sub(list[i].t) > g.cfg.RepeatWithin {
		i++
	}
	list = list[i:]
	if len(list) >= g.cfg.RepeatCount {
		rel := make([]int64, 0, len(list)-1)
		for _, s := range list[:len(list)-1] {
			rel = append(rel, s.seq)
		}
		hit(RuleRepeat, fmt.Sprintf("Opened %d times by the same user within %s", len(list), plainDuration(g.cfg.RepeatWithin)), rel...)
		list = nil
	}
	if len(list) == 0 {
		delete(g.opens, pair)
	} else {
		g.opens[pair] = list
	}
}

func (g *Engine) dayOf(t time.Time) int64 {
	l := t.In(g.loc())
	y, m, d := l.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func (g *Engine) checkSpike(e audit.Entry, hit func(RuleID, string, ...int64)) {
	d := g.dayOf(e.Time)
	u := g.days[e.UserID]
	if u == nil {
		u = &userDays{day: d}
		g.days[e.UserID] = u
	}
	if d != u.day {
		u.roll(d, g.cfg.SpikeDays)
	}
	u.count++
	if u.fired || len(u.counts) == 0 {
		return
	}
	// baseline over the previous SpikeDays days, days without accesses counting as zero; only
	// the newest SpikeDays of the days kept (a setting just lowered leaves more until the next
	// day rolls, and they made the mean several times too high)
	n := float64(g.cfg.SpikeDays)
	counts := u.counts
	if len(counts) > g.cfg.SpikeDays {
		counts = counts[len(counts)-g.cfg.SpikeDays:]
	}
	var sum, sq float64
	for _, c := range counts {
		sum += float64(c)
		sq += float64(c) * float64(c)
	}
	mean := sum / n
	sd := math.Sqrt(math.Max(0, sq/n-mean*mean))
	limit := math.Max(mean+g.cfg.SpikeSigma*sd, float64(g.cfg.SpikeFloor))
	if float64(u.count) > limit {
		u.fired = true
		hit(RuleVolumeSpike, fmt.Sprintf("%d accesses today; this user's usual is %.1f a day (limit %.0f)", u.count, mean, math.Floor(limit)))
	}
}

// roll closes the current day and starts day d, keeping at most keep previous days: one count
// per calendar day, the days without accesses as zeros, so the last keep counts are exactly the
// last keep days. (The zeros were once cut short when the list was full, so after a weekend off
// the baseline still held days older than keep and too few zeros: a mean too high, spikes
// missed, and an engine restarted with less history judged differently from Verify's.)
func (u *userDays) roll(d int64, keep int) {
	u.counts = append(u.counts, int64(u.count))
	u.prev = u.day
	for gap := min(d-u.day-1, int64(keep)); gap > 0; gap-- {
		u.counts = append(u.counts, 0)
	}
	if len(u.counts) > keep {
		u.counts = u.counts[len(u.counts)-keep:]
	}
	u.day, u.count, u.fired = d, 0, false
}

// prune forgets state older than every window, at most once every six hours of log time.
func (g *Engine) prune(now time.Time) {
	if now.Before(g.pruneAt) {
		return
	}
	g.pruneAt = now.Add(6 * time.Hour)
	for k, l := range g.opens {
		if len(l) == 0 || now.Sub(l[len(l)-1].t) > g.cfg.RepeatWithin {
			delete(g.opens, k)
		}
	}
	for k, s := range g.refusals {
		if now.Sub(s.t) > g.cfg.RetryWithin {
			delete(g.refusals, k)
		}
	}
	for k, l := range g.fails {
		if len(l) == 0 || now.Sub(l[len(l)-1].t) > g.cfg.FailedWithin {
			delete(g.fails, k)
		}
	}
	for u, ws := range g.sessions {
		for w, s := range ws {
			if now.Sub(s.t) > g.cfg.SessionMax {
				delete(ws, w)
			}
		}
		if len(ws) == 0 {
			delete(g.sessions, u)
		}
	}
	for k, uses := range g.reasons {
		kept := uses[:0]
		for _, u := range uses {
			if now.Sub(u.t) <= ReasonWithin {
				kept = append(kept, u)
			}
		}
		if len(kept) == 0 {
			delete(g.reasons, k)
		} else {
			g.reasons[k] = kept
		}
	}
}

// plainDuration says d in words: "40 minutes", "3 days".
func plainDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < 2*time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
