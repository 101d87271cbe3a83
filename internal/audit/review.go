package audit

import "maps"

// The SCR Governance Person's review (SGP.md): every step on a case, every report and the
// sample's seed are rows of the log like the accesses they review. Detail "case" is the
// reviewed entry's sequence number; Reason holds the reviewer's note.
const (
	ActionCaseNote          Action = "case-note"
	ActionCaseReview        Action = "case-review-started"
	ActionCaseAppropriate   Action = "case-closed-appropriate"
	ActionCaseInappropriate Action = "case-closed-inappropriate"
	ActionCaseEscalated     Action = "case-escalated"
	ActionSampleSeed        Action = "review-sample-seed"
	ActionSAR               Action = "subject-access-report"
	ActionGovReport         Action = "governance-report"
	// ActionRulesSet records the detection rules' configuration in force from this row on
	// (governance.Config.Encode in detail DetailRulesConfig): every switch, threshold, the
	// opening hours and the SOP's review rates. The rules read it as they pass the row, so the
	// live check, a backfill, a rebuild and Verify judge each row by the settings in force
	// when it was recorded.
	ActionRulesSet Action = "governance-rules-set"
)

// DetailRulesConfig is the detail key of an ActionRulesSet row holding the configuration.
const DetailRulesConfig = "rules_config"

// DetailRulesLogged marks an application-start row written by a version that records the
// rules' configuration in the log (a governance-rules-set row whenever it differs from the
// log's): from that row on, every row was judged by a configuration the log holds, so Verify
// compares every rule's hits, out of hours included. Rows before the first such mark (or the
// first governance-rules-set row) may have been judged by opening hours the log never held.
const DetailRulesLogged = "rules_logged"

// DetailRulesEngine, on an application-start row, is the governance.EngineVersion of the rules
// that judge the rows from there on. Verify compares the cases of the rows after a start of
// this version only: rows after a start of another version (or of one that did not say) were
// judged by rules that may differ, and their cases are kept as those rules raised them.
const DetailRulesEngine = "rules_engine"

// DetailRulesUnrecorded marks a governance-rules-set row that SCR Desk itself wrote because the
// rules started with a configuration the log had not recorded (no save on the settings screen
// or from a settings file wrote it): the rules raise a case on it, naming what changed. Rows
// written before this mark existed carry only their reason and raise nothing, as they did then.
const DetailRulesUnrecorded = "rules_unrecorded"

func init() {
	maps.Copy(actions, map[Action]ActionInfo{
		ActionCaseNote:          {"Added a review note", dcmLog, local(ActionCaseNote, "Case note"), actionCodeCreate, true},
		ActionCaseReview:        {"Started reviewing an access", dcmLog, local(ActionCaseReview, "Case in review"), actionCodeUpdate, true},
		ActionCaseAppropriate:   {"Closed a review: the access was appropriate", dcmLog, local(ActionCaseAppropriate, "Case closed, appropriate"), actionCodeUpdate, true},
		ActionCaseInappropriate: {"Closed a review: the access was inappropriate", dcmLog, local(ActionCaseInappropriate, "Case closed, inappropriate"), actionCodeUpdate, true},
		ActionCaseEscalated:     {"Escalated a review", dcmLog, local(ActionCaseEscalated, "Case escalated"), actionCodeUpdate, true},
		ActionSampleSeed:        {"Drew the review sample", dcmLog, local(ActionSampleSeed, "Review sample seed"), actionCodeCreate, false},
		ActionSAR:               {"Produced a Subject Access Request report", dcmExp, local(ActionSAR, "Subject access report"), actionCodeRead, true},
		ActionGovReport:         {"Produced the governance report", dcmExp, local(ActionGovReport, "Governance report"), actionCodeRead, false},
		ActionRulesSet:          {"Set the governance rules (switches, thresholds, review rates)", dcmApp, local(ActionRulesSet, "Governance rules set"), actionCodeUpdate, false},
	})
}
