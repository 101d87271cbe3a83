package patientflow

// transitions lists every (situation, event) that does something: "situation event -> state:
// effects". Every pair not listed must change nothing and return no effects (stale answers,
// answers to a request of another kind, intents that do not apply). Reviewed by hand: each row
// is what the counter must do.
const transitions = `
NoPatient refused -> Failed:
NoPatient searchDemo -> Searching: SearchPDS
NoPatient searchNHS -> Searching: FetchPatient

Searching auditFailed -> Failed: Cancel
Searching close -> NoPatient: Cancel
Searching drop -> NoPatient: Cancel
Searching newSession -> NoPatient: Cancel
Searching patient -> Demographics: A:patient-search A:patient-read FetchConsent FetchAdjustments
Searching patientDead -> Demographics: A:patient-search A:patient-read FetchConsent FetchAdjustments
Searching patientErr -> Failed: A:patient-search/failed
Searching patientReal -> Demographics: A:patient-search A:patient-read FetchConsent FetchAdjustments
Searching refused -> Failed: Cancel
Searching searchDemo -> Searching: Cancel SearchPDS
Searching searchNHS -> Searching: Cancel FetchPatient

SearchingDemo auditFailed -> Failed: Cancel
SearchingDemo close -> NoPatient: Cancel
SearchingDemo drop -> NoPatient: Cancel
SearchingDemo found -> Matches: A:patient-search A:patient-listed A:patient-listed
SearchingDemo foundErr -> Failed: A:patient-search/failed
SearchingDemo foundNone -> Matches: A:patient-search
SearchingDemo newSession -> NoPatient: Cancel
SearchingDemo refused -> Failed: Cancel
SearchingDemo searchDemo -> Searching: Cancel SearchPDS
SearchingDemo searchNHS -> Searching: Cancel FetchPatient

Matches auditFailed -> Failed:
Matches close -> NoPatient:
Matches drop -> NoPatient:
Matches newSession -> NoPatient:
Matches pick -> Searching: FetchPatient
Matches refused -> Failed:
Matches searchDemo -> Searching: SearchPDS
Matches searchNHS -> Searching: FetchPatient

NoMatch auditFailed -> Failed:
NoMatch close -> NoPatient:
NoMatch drop -> NoPatient:
NoMatch newSession -> NoPatient:
NoMatch refused -> Failed:
NoMatch searchDemo -> Searching: SearchPDS
NoMatch searchNHS -> Searching: FetchPatient

Demographics adjust -> Demographics: A:reasonable-adjustments-read
Demographics adjustErr -> Demographics: A:reasonable-adjustments-read/failed
Demographics auditFailed -> Failed: Cancel
Demographics close -> NoPatient: Cancel
Demographics consentAsk -> Asking: A:scr-consent-read
Demographics consentErr -> Failed: A:scr-consent-read/failed
Demographics consentNo -> ConsentRead: A:scr-consent-read
Demographics consentNone -> ConsentRead: A:scr-consent-read
Demographics drop -> NoPatient: Cancel
Demographics newSession -> NoPatient: Cancel

OptedOut auditFailed -> Failed:
OptedOut close -> NoPatient:
OptedOut drop -> NoPatient:
OptedOut newSession -> NoPatient:

Asking accessCheck -> Opening: A:test-patient-access-check FetchRecord:access-check
Asking auditFailed -> Failed:
Asking close -> NoPatient:
Asking decline -> Declined: A:permission-declined
Asking drop -> NoPatient:
Asking emergency -> EmergencyReason:
Asking newSession -> NoPatient:
Asking permission -> Opening: A:legitimate-relationship-self-claimed A:permission-given Alert:1 FetchRecord:permission

AskingAdjusting accessCheck -> Opening: A:test-patient-access-check FetchRecord:access-check
AskingAdjusting adjust -> Asking: A:reasonable-adjustments-read
AskingAdjusting adjustErr -> Asking: A:reasonable-adjustments-read/failed
AskingAdjusting auditFailed -> Failed: Cancel
AskingAdjusting close -> NoPatient: Cancel
AskingAdjusting decline -> Declined: A:permission-declined
AskingAdjusting drop -> NoPatient: Cancel
AskingAdjusting emergency -> EmergencyReason:
AskingAdjusting newSession -> NoPatient: Cancel
AskingAdjusting permission -> Opening: A:legitimate-relationship-self-claimed A:permission-given Alert:1 FetchRecord:permission

EmergencyReason auditFailed -> Failed:
EmergencyReason back -> Asking:
EmergencyReason close -> NoPatient:
EmergencyReason drop -> NoPatient:
EmergencyReason newSession -> NoPatient:
EmergencyReason reason -> Opening: A:emergency-access Alert:2 FetchRecord:emergency

DeceasedReason accessCheck -> Opening: A:test-patient-access-check FetchRecord:access-check
DeceasedReason auditFailed -> Failed:
DeceasedReason close -> NoPatient:
DeceasedReason deceased -> Opening: A:legitimate-relationship-self-claimed A:deceased-record-reason Alert:1 FetchRecord:deceased
DeceasedReason drop -> NoPatient:
DeceasedReason newSession -> NoPatient:

Declined auditFailed -> Failed:
Declined close -> NoPatient:
Declined drop -> NoPatient:
Declined newSession -> NoPatient:

Opening auditFailed -> Failed: Cancel
Opening close -> NoPatient: Cancel
Opening drop -> NoPatient: Cancel
Opening newSession -> NoPatient: Cancel
Opening record -> RecordShown: A:scr-read
Opening recordErr -> Asking: A:scr-read/failed
Opening recordNone -> ConsentRead: A:scr-read/failed

OpeningDeceased auditFailed -> Failed: Cancel
OpeningDeceased close -> NoPatient: Cancel
OpeningDeceased drop -> NoPatient: Cancel
OpeningDeceased newSession -> NoPatient: Cancel
OpeningDeceased record -> RecordShown: A:scr-read
OpeningDeceased recordErr -> DeceasedReason: A:scr-read/failed
OpeningDeceased recordNone -> ConsentRead: A:scr-read/failed

RecordShown auditFailed -> Failed:
RecordShown close -> NoPatient:
RecordShown drop -> NoPatient:
RecordShown newSession -> NoPatient:

Failed auditFailed -> Failed:
Failed close -> NoPatient:
Failed drop -> NoPatient:
Failed newSession -> NoPatient:
Failed searchDemo -> Searching: SearchPDS
Failed searchNHS -> Searching: FetchPatient
Failed refused -> Failed:

ConsentFailed adjust -> Failed: A:reasonable-adjustments-read
ConsentFailed adjustErr -> Failed: A:reasonable-adjustments-read/failed
ConsentFailed auditFailed -> Failed: Cancel
ConsentFailed close -> NoPatient: Cancel
ConsentFailed drop -> NoPatient: Cancel
ConsentFailed newSession -> NoPatient: Cancel
ConsentFailed refused -> Failed: Cancel
ConsentFailed searchDemo -> Searching: Cancel SearchPDS
ConsentFailed searchNHS -> Searching: Cancel FetchPatient

Refused auditFailed -> Failed:
Refused close -> NoPatient:
Refused drop -> NoPatient:
Refused newSession -> NoPatient:
Refused refused -> Failed:
Refused searchDemo -> Searching: SearchPDS
Refused searchNHS -> Searching: FetchPatient
AskingReal auditFailed -> Failed:
AskingReal close -> NoPatient:
AskingReal decline -> Declined: A:permission-declined
AskingReal drop -> NoPatient:
AskingReal emergency -> EmergencyReason:
AskingReal newSession -> NoPatient:
AskingReal permission -> Opening: A:legitimate-relationship-self-claimed A:permission-given Alert:1 FetchRecord:permission
`
