package archtest

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// kinds names each package's layer. Keep it in step with ARCHITECTURE.md.
var kinds = map[string]string{
	"scrdesk":                      "main",
	"scrdesk/app":                  "app",
	"scrdesk/screens":              "screen",
	"scrdesk/screens/patient":      "screen",
	"scrdesk/assets":               "leaf",
	"scrdesk/internal/nhsnumber":   "leaf",
	"scrdesk/internal/staff":       "leaf",
	"scrdesk/internal/fhir":        "leaf",
	"scrdesk/internal/session":     "leaf",
	"scrdesk/internal/patientflow": "leaf",
	"scrdesk/internal/audit":       "leaf",
	"scrdesk/internal/settings":    "leaf",
	"scrdesk/internal/paths":       "leaf",
	"scrdesk/internal/cli":         "leaf",
	"scrdesk/internal/present":     "leaf",
	"scrdesk/internal/usermsg":     "leaf",
	"scrdesk/internal/archtest":    "leaf",
	"scrdesk/internal/safety":      "leaf",
	"scrdesk/internal/e2e":         "leaf",
	"scrdesk/internal/e2e/vcard":   "test",
	"scrdesk/cardreader":           "adapter",
	"scrdesk/sync":                 "adapter",
	"scrdesk/internal/store":       "adapter",
	"scrdesk/internal/secrets":     "adapter",
	"scrdesk/internal/sandbox":     "adapter",
	"scrdesk/internal/logging":     "adapter",
	"scrdesk/internal/instance":    "adapter",
	"scrdesk/internal/auditcli":    "adapter",
	"scrdesk/internal/replica":     "adapter",

	// The SGP's workspace (issue 13).
	"scrdesk/internal/governance": "leaf",
	"scrdesk/internal/report":     "leaf",
}

// packageExternal lists outside modules one package may use beyond its layer's list: the
// exception is the package's, not the layer's.
var packageExternal = map[string][]string{
	"scrdesk/internal/report": {"github.com/go-pdf/fpdf", "gonum.org/v1/plot"}, // PDF and the monthly chart: libraries, not hand-written
	"scrdesk/internal/cli":    {"golang.org/x/term"},                           // ReadSecret: a passcode or password typed with echo off
	"scrdesk/internal/audit":  {"github.com/goccy/go-json"},                    // Decode: every row the rules and Verify read (ARCHITECTURE.md)
}

// allowedExternal lists the non-standard modules each layer may use.
var allowedExternal = map[string][]string{
	"leaf":    {"golang.org/x/net/html"},
	"adapter": {"github.com/ebfe/scard", "modernc.org/sqlite", "github.com/zalando/go-keyring", "github.com/google/uuid", "gopkg.in/natefinch/lumberjack.v2", "golang.org/x/net/http/httpproxy", "github.com/jackc/pgx/v5"},
	"screen":  {"fyne.io/fyne/v2"},
	"app":     {"fyne.io/fyne/v2", "github.com/google/uuid"},
	"main":    {},
}

// adapterImports are the written exceptions to "adapters never import each other"; each is
// explained in the importing package's doc comment and in ARCHITECTURE.md.
var adapterImports = map[string][]string{
	"scrdesk/internal/auditcli": {"scrdesk/internal/store", "scrdesk/internal/replica"}, // the audit subcommands read the store and the central log
	"scrdesk/internal/replica":  {"scrdesk/internal/store"},                             // reads the raw rows and keeps its cursor in the store
	"scrdesk/cardreader":        {},
}

func kindOf(path string) string {
	k, _ := layer(path)
	return k
}

// layer returns the kind of path and the table entry (package tree) it belongs to.
func layer(path string) (kind, tree string) {
	for p := path; ; {
		if k, ok := kinds[p]; ok {
			return k, p
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			return "", ""
		}
		p = p[:i]
	}
}

func TestImportRules(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	readSources(t, root)
	cmd := exec.Command("go", "list", "-tags", "pcsc keyring gui", "-json=ImportPath,Imports,Standard", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		kind := kindOf(p.ImportPath)
		if kind == "" {
			t.Errorf("%s: not in the layer table: add it to ARCHITECTURE.md and this test", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !strings.HasPrefix(imp, "scrdesk") {
				continue // standard library
			}
			if err := check(p.ImportPath, kind, imp); err != "" {
				t.Errorf("%s (%s) imports %s: %s", p.ImportPath, kind, imp, err)
			}
		}
	}
	for _, u := range unused(pkgs, adapterImports, allowedExternal, packageExternal) {
		t.Errorf("%s: remove it from this test and from ARCHITECTURE.md", u)
	}
}

// readSources reads go.mod and every Go file under root. What `go list` reads in its own process
// is invisible to go test's cache; reading the same files here makes a cached pass of this test
// stand only while none of them has changed (a new import anywhere runs it again).
func readSources(t *testing.T, root string) {
	t.Helper()
	if _, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "build") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			_, err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// unused lists the allowances no package's import uses: an exception nobody needs any more is
// one nobody checks, and a forbidden import could come back through it unnoticed.
func unused(pkgs []pkg, adapters, layers, packages map[string][]string) []string {
	uses := func(who func(pkg) bool, target string) bool {
		for _, p := range pkgs {
			if !who(p) {
				continue
			}
			for _, imp := range p.Imports {
				if within(imp, []string{target}) {
					return true
				}
			}
		}
		return false
	}
	var out []string
	for _, from := range sortedKeys(adapters) {
		for _, to := range adapters[from] {
			if !uses(func(p pkg) bool { return p.ImportPath == from }, to) {
				out = append(out, fmt.Sprintf("allowance %s -> %s is not used by any import", from, to))
			}
		}
	}
	for _, kind := range sortedKeys(layers) {
		for _, mod := range layers[kind] {
			if !uses(func(p pkg) bool { return kindOf(p.ImportPath) == kind }, mod) {
				out = append(out, fmt.Sprintf("allowance of %s for the %s layer is not used by any import", mod, kind))
			}
		}
	}
	for _, from := range sortedKeys(packages) {
		for _, mod := range packages[from] {
			if !uses(func(p pkg) bool { return p.ImportPath == from }, mod) {
				out = append(out, fmt.Sprintf("allowance of %s for %s is not used by any import", mod, from))
			}
		}
	}
	return out
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestUnusedAllowanceFails: an allowance that no import uses is reported, one that is used is
// not, for each of the three kinds of allowance.
func TestUnusedAllowanceFails(t *testing.T) {
	pkgs := []pkg{
		{ImportPath: "scrdesk/internal/auditcli", Imports: []string{"scrdesk/internal/store", "fmt"}},
		{ImportPath: "scrdesk/internal/fhir", Imports: []string{"golang.org/x/net/html"}},
		{ImportPath: "scrdesk/internal/cli", Imports: []string{"golang.org/x/term"}},
	}
	got := unused(pkgs,
		map[string][]string{
			"scrdesk/internal/auditcli": {"scrdesk/internal/store"},
			"scrdesk/internal/store":    {"scrdesk/internal/secrets"}, // store no longer imports secrets
		},
		map[string][]string{"leaf": {"golang.org/x/net/html", "github.com/example/gone"}},
		map[string][]string{"scrdesk/internal/cli": {"golang.org/x/term"}, "scrdesk/internal/paths": {"golang.org/x/sys"}},
	)
	want := []string{
		"allowance scrdesk/internal/store -> scrdesk/internal/secrets is not used by any import",
		"allowance of github.com/example/gone for the leaf layer is not used by any import",
		"allowance of golang.org/x/sys for scrdesk/internal/paths is not used by any import",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("unused allowances:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func check(from, kind, imp string) string {
	if imp == "fyne.io/fyne/v2/app" && kind != "main" && kind != "app" {
		return "only main and app may import fyne.io/fyne/v2/app"
	}
	if imp == "scrdesk/app" && kind != "main" {
		return "nothing imports app but main"
	}
	if strings.HasPrefix(imp, "scrdesk") {
		to := kindOf(imp)
		switch kind {
		case "leaf":
			if to != "leaf" {
				return "a leaf imports only leaves"
			}
		case "adapter":
			if to == "adapter" && !within(imp, adapterImports[from]) && !sameTree(from, imp) {
				return "adapters never import each other without a written reason"
			}
			if to == "screen" || to == "app" {
				return "adapters never import screens or app"
			}
		case "screen":
			if to != "leaf" && to != "screen" {
				return "screens import Fyne, their own view structs and leaves, never an adapter"
			}
		}
		return ""
	}
	if !within(imp, allowedExternal[kind]) && !within(imp, packageExternal[from]) && kind != "main" {
		return "not an allowed outside module for this layer"
	}
	if kind == "main" && strings.HasPrefix(imp, "fyne.io/") {
		return ""
	}
	return ""
}

func within(imp string, prefixes []string) bool {
	for _, p := range prefixes {
		if imp == p || strings.HasPrefix(imp, p+"/") {
			return true
		}
	}
	return false
}

// sameTree: packages of one tree may import each other (cardreader/virtualcard ->
// cardreader/internal/bertlv).
func sameTree(a, b string) bool {
	_, ta := layer(a)
	_, tb := layer(b)
	return ta == tb
}
