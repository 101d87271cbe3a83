#!/bin/sh
# with-keyring.sh CMD [ARGS...]
#
# Runs CMD inside a private D-Bus session with a freshly created, unlocked gnome-keyring
# (the Secret Service that github.com/zalando/go-keyring talks to on Linux), in a HOME of its
# own that is removed afterwards. The exit status is CMD's.
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
# The session's home, runtime folder and bus socket are at paths fixed for this checkout (and
# made afresh each run), not random ones: tests read HOME and the bus address, and go test keeps
# a cached result only while what a test read is the same. Runs of one checkout take turns,
# unless SCRDESK_KEYRING_NAME names another session of their own (make test runs the
# real-window suite beside the other real-service tests: it waited 500 s for their turn).
state="${TMPDIR:-/tmp}/scrdesk-keyring-$(id -u)-$(printf '%s' "$PWD" | sha256sum | cut -c1-12)${SCRDESK_KEYRING_NAME:+-$SCRDESK_KEYRING_NAME}"
exec 9>"$state.lock"
flock 9
rm -rf "$state"
mkdir -p "$state/home/.local/share/keyrings" "$state/home/.config" "$state/run"
chmod 700 "$state" "$state/run"
cat >"$state/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$state/run/bus</listen>
  <auth>EXTERNAL</auth>
  <standard_session_servicedirs/>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
export SCRDESK_KEYRING_STATE="$state"
exec dbus-run-session --config-file="$state/session.conf" -- sh -c '
	set -u
	state=$SCRDESK_KEYRING_STATE
	unset SCRDESK_KEYRING_STATE
	export HOME="$state/home" XDG_DATA_HOME="$state/home/.local/share" XDG_CONFIG_HOME="$state/home/.config"
	export XDG_RUNTIME_DIR="$state/run"
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$state/run/bus" # without the guid dbus adds each run
	# A new "login" keyring is created with this password and left unlocked.
	eval "$(printf "scrdesk-test" | gnome-keyring-daemon --daemonize --unlock --components=secrets)"
	export GNOME_KEYRING_CONTROL
	"$@"
	rc=$?
	# The daemon leaves with the session bus; remove the session folder in any case.
	rm -rf "$state"
	exit $rc
' with-keyring "$@"
