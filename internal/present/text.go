package present

import (
	"strings"
)

// AlertKindName names a privacy alert by its SCR-AlertType code (POST /AuditEvent type):
// 1 is a self-claimed legitimate relationship, 2 an emergency (access) alert.
func AlertKindName(alertType string) string {
	switch strings.TrimSpace(alertType) {
	case "1":
		return "Self-claimed relationship alert"
	case "2":
		return "Emergency access alert"
	}
	return "Privacy alert"
}

// BannerText is the patient banner as plain text, for `scrdesk check-access` and logs a person
// reads (never the debug log: it names the patient).
func BannerText(v BannerView) string {
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			b.WriteString(label + ": " + value + "\n")
		}
	}
	line("Patient", v.Name)
	line("NHS number", v.NHS)
	line("Born", v.BirthDate)
	line("Gender", v.Gender)
	if v.Restricted {
		line("Restricted", v.RestrictedText)
	} else {
		line("Address", v.Address)
		line("GP practice", v.GP)
		line("Telephone", v.Phone)
	}
	if v.Deceased {
		line("Deceased", strings.TrimSpace(strings.TrimPrefix(v.DeceasedText, "Deceased")))
	}
	if v.Merged {
		line("Merged", v.MergedText)
	}
	if v.Test {
		line("Test patient", "yes")
	}
	return b.String()
}

// RecordText is a record as plain text in on-screen order, for `scrdesk check-access`: the
// header, then each section's title, statements, tables (cells separated by " | ") and text.
func RecordText(v RecordView) string {
	var b strings.Builder
	title := "Summary Care Record: " + v.Format
	if v.Format == "" {
		title = "Summary Care Record"
	}
	b.WriteString(title + "\n")
	if v.Created != "" {
		b.WriteString("Created: " + v.Created + "\n")
	}
	if v.Author != "" {
		b.WriteString("Created by: " + v.Author + "\n")
	}
	if v.Practice != "" {
		b.WriteString("Practice: " + v.Practice + "\n")
	}
	for _, s := range v.Statements {
		b.WriteString("! " + s + "\n")
	}
	for _, n := range v.Notes {
		b.WriteString(n + "\n")
	}
	for _, s := range v.Sections {
		b.WriteString("\n== " + s.Title + " ==\n")
		for _, st := range s.Statements {
			b.WriteString("! " + st + "\n")
		}
		for _, t := range s.Tables {
			if len(t.Headers) > 0 {
				b.WriteString(strings.Join(t.Headers, " | ") + "\n")
			}
			for _, r := range t.Rows {
				b.WriteString(strings.Join(r, " | ") + "\n")
			}
		}
		for _, p := range s.Text {
			b.WriteString(p + "\n")
		}
	}
	return b.String()
}
