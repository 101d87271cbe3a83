package report

// The PDF helpers of sar_test.go, for the external tests (monthly_test.go builds a report from
// the store through internal/auditcli, which imports this package).
var (
	PDFText         = pdfText
	RenderFirstPage = renderFirstPage
)
