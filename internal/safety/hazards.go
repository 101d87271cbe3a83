package safety

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Severities are DCB0129's severity categories, least severe first.
var Severities = []string{"Minor", "Significant", "Considerable", "Major", "Catastrophic"}

// Likelihoods are DCB0129's likelihood categories, least likely first.
var Likelihoods = []string{"Very low", "Low", "Medium", "High", "Very high"}

// matrix[likelihood][severity] is the risk rating 1-5 (NHS England's DCB0129 matrix).
var matrix = [5][5]int{
	{1, 1, 2, 2, 3}, // Very low
	{1, 2, 2, 3, 4}, // Low
	{2, 2, 3, 3, 4}, // Medium
	{2, 3, 3, 4, 5}, // High
	{3, 4, 4, 5, 5}, // Very high
}

// Risk returns the matrix rating for a severity and a likelihood, or 0 if either is not on
// its scale.
func Risk(severity, likelihood string) int {
	s, l := index(Severities, severity), index(Likelihoods, likelihood)
	if s < 0 || l < 0 {
		return 0
	}
	return matrix[l][s]
}

func index(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// TestRef names one test: the package directory relative to the repository root and the
// function, with an optional subtest path that is not checked.
type TestRef struct {
	Dir     string // "internal/fhir"
	Func    string // "TestEveryFixture"
	Subtest string // "Sensitive_Patient.json", or ""
}

func (r TestRef) String() string {
	s := r.Dir + "." + r.Func
	if r.Subtest != "" {
		s += "/" + r.Subtest
	}
	return s
}

// Control is one control of a hazard: what the system does, and the tests that show it works.
// Open is true when the control is still to be built (then Tests is empty).
type Control struct {
	Line  int
	Text  string
	Tests []TestRef
	Open  bool
}

// Hazard is one entry of the log.
type Hazard struct {
	ID, Title           string
	Line                int
	Cause, Effect       string
	Severity            string
	Likelihood          string
	InitialRisk         int
	Controls            []Control
	ResidualLikelihood  string
	ResidualRisk        int
	ResidualExplanation string
}

var (
	hazardHeading = regexp.MustCompile(`^## (HAZ-[0-9]{2,}): (\S.*)$`)
	fieldLine     = regexp.MustCompile(`^- \*\*([A-Za-z ]+):\*\*(?: (.*))?$`)
	controlLine   = regexp.MustCompile(`^  - (\S.*)$`)
	testName      = regexp.MustCompile(`^([a-z0-9_]+(?:/[a-z0-9_]+)*)\.((?:Test|Fuzz|Benchmark|Example)[A-Za-z0-9_]*)(?:/(\S+))?$`)
	riskValue     = regexp.MustCompile(`^([1-5])\b`)
)

// fields lists the fields every hazard must have, in order.
var fields = []string{"Cause", "Effect", "Severity", "Likelihood", "Initial risk", "Controls", "Residual likelihood", "Residual risk"}

// ParseTestRef reads a test name written as `dir/path.TestName` or `dir/path.TestName/subtest`.
func ParseTestRef(s string) (TestRef, error) {
	m := testName.FindStringSubmatch(s)
	if m == nil {
		return TestRef{}, fmt.Errorf("%q is not a test name (want package/dir.TestName)", s)
	}
	return TestRef{Dir: m[1], Func: m[2], Subtest: m[3]}, nil
}

// Parse reads the hazard log. It returns every hazard it could read and one error listing
// every problem found, each with its line number.
func Parse(r io.Reader) ([]Hazard, error) {
	var (
		hazards []Hazard
		errs    []string
		cur     *Hazard
		seen    map[string]bool
		inCtl   bool
		inFence bool
		ids     = map[string]int{}
	)
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
	finish := func() {
		if cur == nil {
			return
		}
		for _, f := range fields {
			if !seen[f] {
				fail(cur.Line, "%s has no %q field", cur.ID, f)
			}
		}
		if seen["Controls"] && len(cur.Controls) == 0 {
			fail(cur.Line, "%s lists no controls", cur.ID)
		}
		if want := Risk(cur.Severity, cur.Likelihood); seen["Initial risk"] && want != 0 && cur.InitialRisk != want {
			fail(cur.Line, "%s: initial risk %d, but %s x %s is %d", cur.ID, cur.InitialRisk, cur.Severity, cur.Likelihood, want)
		}
		if want := Risk(cur.Severity, cur.ResidualLikelihood); seen["Residual risk"] && want != 0 && cur.ResidualRisk != want {
			fail(cur.Line, "%s: residual risk %d, but %s x %s is %d", cur.ID, cur.ResidualRisk, cur.Severity, cur.ResidualLikelihood, want)
		}
		hazards = append(hazards, *cur)
		cur = nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if strings.HasPrefix(line, "#") {
			finish()
			inCtl = false
			if m := hazardHeading.FindStringSubmatch(line); m != nil {
				if prev, dup := ids[m[1]]; dup {
					fail(n, "%s already used at line %d", m[1], prev)
				}
				ids[m[1]] = n
				cur = &Hazard{ID: m[1], Title: m[2], Line: n}
				seen = map[string]bool{}
			} else if strings.HasPrefix(line, "## HAZ") {
				fail(n, "hazard heading must read \"## HAZ-NN: title\"")
			}
			continue
		}
		if cur == nil || line == "" {
			continue
		}
		if m := controlLine.FindStringSubmatch(line); m != nil {
			if !inCtl {
				fail(n, "%s: an indented item outside **Controls:**", cur.ID)
				continue
			}
			c, err := parseControl(n, m[1])
			if err != nil {
				fail(n, "%s: %v", cur.ID, err)
			}
			cur.Controls = append(cur.Controls, c)
			continue
		}
		m := fieldLine.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(strings.TrimLeft(line, " "), "-") {
				fail(n, "%s: %q is neither a field (- **Name:** value) nor a control (  - text. Tests: ...)", cur.ID, line)
			}
			continue // free text between fields is allowed
		}
		name, val := m[1], strings.TrimSpace(m[2])
		if index(fields, name) < 0 {
			fail(n, "%s: unknown field %q (want one of %s)", cur.ID, name, strings.Join(fields, ", "))
			continue
		}
		if seen[name] {
			fail(n, "%s: field %q given twice", cur.ID, name)
		}
		seen[name] = true
		inCtl = name == "Controls"
		if !inCtl && val == "" {
			fail(n, "%s: field %q is empty", cur.ID, name)
		}
		switch name {
		case "Cause":
			cur.Cause = val
		case "Effect":
			cur.Effect = val
		case "Severity":
			cur.Severity = val
			if index(Severities, val) < 0 {
				fail(n, "%s: severity %q is not one of %s", cur.ID, val, strings.Join(Severities, ", "))
			}
		case "Likelihood", "Residual likelihood":
			if index(Likelihoods, val) < 0 {
				fail(n, "%s: %s %q is not one of %s", cur.ID, strings.ToLower(name), val, strings.Join(Likelihoods, ", "))
			}
			if name == "Likelihood" {
				cur.Likelihood = val
			} else {
				cur.ResidualLikelihood = val
			}
		case "Initial risk", "Residual risk":
			rm := riskValue.FindStringSubmatch(val)
			if rm == nil {
				fail(n, "%s: %s must start with a rating 1-5", cur.ID, strings.ToLower(name))
				continue
			}
			v, _ := strconv.Atoi(rm[1])
			if name == "Initial risk" {
				cur.InitialRisk = v
			} else {
				cur.ResidualRisk = v
				cur.ResidualExplanation = strings.TrimSpace(strings.TrimLeft(val[1:], " :;,.-"))
			}
		case "Controls":
			if val != "" {
				fail(n, "%s: put each control on its own indented line under **Controls:**", cur.ID)
			}
		}
	}
	finish()
	if err := sc.Err(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(hazards) == 0 && len(errs) == 0 {
		errs = append(errs, "no hazards found")
	}
	if len(errs) > 0 {
		return hazards, fmt.Errorf("hazard log:\n  %s", strings.Join(errs, "\n  "))
	}
	return hazards, nil
}

// parseControl reads "what it does. Tests: `a.TestX`, `b.TestY`" or "... Tests: open".
func parseControl(line int, s string) (Control, error) {
	c := Control{Line: line}
	i := strings.LastIndex(s, "Tests:")
	if i < 0 {
		return c, fmt.Errorf("control %q names no tests (end it with \"Tests: `pkg/dir.TestName`\" or \"Tests: open\")", s)
	}
	c.Text = strings.TrimSpace(s[:i])
	rest := strings.TrimSpace(s[i+len("Tests:"):])
	if c.Text == "" {
		return c, fmt.Errorf("control has no description before Tests:")
	}
	if rest == "open" {
		c.Open = true
		return c, nil
	}
	if rest == "" {
		return c, fmt.Errorf("control %q: Tests: is empty (name tests or write open)", c.Text)
	}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if len(part) < 3 || part[0] != '`' || part[len(part)-1] != '`' {
			return c, fmt.Errorf("test %q must be in backticks", part)
		}
		ref, err := ParseTestRef(part[1 : len(part)-1])
		if err != nil {
			return c, err
		}
		c.Tests = append(c.Tests, ref)
	}
	return c, nil
}
