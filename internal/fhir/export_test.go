package fhir

// Head is head, for the fixture tests in package fhir_test.
var Head = head
