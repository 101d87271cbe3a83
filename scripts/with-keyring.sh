#!/bin/sh
# with-keyring.sh CMD [ARGS...]
#
# Runs CMD inside a private D-Bus session with a freshly created, unlocked gnome-keyring
# (the Secret Service that github.com/zalando/go-keyring talks to on Linux), in a temporary
# HOME that is removed afterwards. The exit status is CMD's.
#
#   scripts/with-keyring.sh go test -tags keyring ./internal/secrets/... ./internal/store/...
#
# Needs: dbus-run-session (dbus), gnome-keyring-daemon (gnome-keyring). Go's build and module
# caches are kept at their usual places, so the temporary HOME does not force a cold build.
set -eu
for tool in dbus-run-session gnome-keyring-daemon; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "with-keyring.sh: $tool not found (apt-get install -y dbus gnome-keyring)" >&2
		exit 127
	}
done
if command -v go >/dev/null 2>&1; then
	GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) GOPATH=$(go env GOPATH)
	export GOCACHE GOMODCACHE GOPATH
fi
exec dbus-run-session -- sh -c '
	set -u
	home=$(mktemp -d)
	export HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config"
	mkdir -p "$XDG_DATA_HOME/keyrings"
	# A new "login" keyring is created with this password and left unlocked.
	eval "$(printf "scrdesk-test" | gnome-keyring-daemon --daemonize --unlock --components=secrets)"
	export GNOME_KEYRING_CONTROL
	"$@"
	rc=$?
	# The daemon leaves with the session bus; remove the temporary home in any case.
	rm -rf "$home"
	exit $rc
' with-keyring "$@"
