package sync

import (
	"fmt"
	"net/url"
)

// Environment names where SCR Desk's national services are.
type Environment string

// Environments.
const (
	EnvDemo        Environment = "demo"        // the built-in sandbox, in-process
	EnvIntegration Environment = "integration" // NHS England's integration (INT) environment
	EnvProduction  Environment = "production"
	EnvCustom      Environment = "custom" // a base URL given by IT support (--api-base)
)

// BaseURLFor returns an environment's API base URL. Demo returns "": the caller starts the
// built-in sandbox and uses its address. Custom needs custom, an http(s) URL.
func BaseURLFor(env Environment, custom string) (string, error) {
	switch env {
	case EnvDemo:
		return "", nil
	case EnvIntegration:
		return "https://int.api.service.nhs.uk", nil
	case EnvProduction:
		return "https://api.service.nhs.uk", nil
	case EnvCustom:
		u, err := url.Parse(custom)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", fmt.Errorf("api base %q: want http(s)://host[:port]", custom)
		}
		return custom, nil
	}
	return "", fmt.Errorf("unknown environment %q", env)
}
