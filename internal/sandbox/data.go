package sandbox

import (
	"embed"
	"fmt"
)

//go:embed data
var dataFS embed.FS

// dataFile returns an embedded NHS payload by its path under data/.
func dataFile(name string) ([]byte, error) {
	b, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("sandbox data %s: %w", name, err)
	}
	return b, nil
}

// mustData returns an embedded payload; the set is fixed at build time, so a miss is a bug.
func mustData(name string) []byte {
	b, err := dataFile(name)
	if err != nil {
		panic(err)
	}
	return b
}
