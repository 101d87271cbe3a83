package cli

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want Invocation
		err  bool
	}{
		{"gui", nil, Invocation{}, false},
		{"demo", []string{"--demo"}, Invocation{Global: Global{Demo: true}}, false},
		{"version", []string{"version"}, Invocation{Command: "version"}, false},
		{"two words with flags", []string{"card", "check", "--json", "--pin-stdin"},
			Invocation{Command: "card check", Args: []string{"--json", "--pin-stdin"}}, false},
		{"global flags anywhere", []string{"--data-dir", "/d", "audit", "verify", "--log-level=debug"},
			Invocation{Global: Global{DataDir: "/d", LogLevel: "debug"}, Command: "audit verify"}, false},
		{"global flag after command args", []string{"audit", "export", "--format", "csv", "--config", "c.json"},
			Invocation{Global: Global{Config: "c.json"}, Command: "audit export", Args: []string{"--format", "csv"}}, false},
		{"command help", []string{"sandbox", "--help"}, Invocation{Global: Global{Help: true}, Command: "sandbox"}, false},
		{"unknown command", []string{"frobnicate"}, Invocation{}, true},
		{"half a command", []string{"audit"}, Invocation{}, true},
		{"missing value", []string{"--data-dir"}, Invocation{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.args)
			if c.err {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("Parse(%q) error = %v, want usage error", c.args, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Parse(%q) =\n %+v\nwant\n %+v", c.args, got, c.want)
			}
		})
	}
}
