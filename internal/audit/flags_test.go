package audit

import (
	"reflect"
	"testing"
)

func TestWithFlags(t *testing.T) {
	for _, c := range []struct {
		name   string
		detail map[string]string
		flags  []Flag
		want   map[string]string
	}{
		{"nothing", nil, nil, nil},
		{"one flag", nil, []Flag{FlagDeceased}, map[string]string{"flags": "deceased"}},
		{"sorted and once", map[string]string{"by": "x"}, []Flag{FlagRestricted, FlagDeceased, FlagRestricted},
			map[string]string{"by": "x", "flags": "deceased,restricted"}},
		{"merged with existing", map[string]string{"flags": "same-surname"}, []Flag{FlagDeceased},
			map[string]string{"flags": "deceased,same-surname"}},
		{"keeps other keys", map[string]string{"restriction": "R"}, nil, map[string]string{"restriction": "R"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := WithFlags(c.detail, c.flags...)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("WithFlags = %v, want %v", got, c.want)
			}
			for _, f := range c.flags {
				if !(Event{Detail: got}).HasFlag(f) {
					t.Errorf("HasFlag(%s) false", f)
				}
			}
		})
	}
	if (Event{}).HasFlag(FlagDeceased) {
		t.Error("an event without detail has a flag")
	}
}
