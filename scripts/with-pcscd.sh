#!/usr/bin/env bash
# with-pcscd.sh CMD... - run CMD beside a private pcscd with the vsmartcard
# virtual readers ("Virtual PCD 00 00" on 127.0.0.1:35963, "Virtual PCD 00 01"
# on 35964), without touching any pcscd already running on this machine.
#
# CMD runs inside new mount, network and PID namespaces (unshare): /run/pcscd is
# a private tmpfs, the loopback interface is up and the TCP ports are private.
# The namespace's first process is this script, so pcscd and everything else
# started inside dies when CMD ends. Exits with CMD's status.
#
# Needs root (CI runs as root) and the Debian packages pcscd and
# vsmartcard-vpcd. pcscd's log goes to $PCSCD_LOG (default: a temp file), whose
# path is printed. Inside, PCSCD_LOG is exported so tests that restart pcscd
# can log to the same file.
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "with-pcscd.sh: must run as root (private mount/network namespaces need it); try: sudo -E $0 $*" >&2
	exit 2
fi
for tool in unshare pcscd ip; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "with-pcscd.sh: '$tool' not found; install: apt-get install -y pcscd vsmartcard-vpcd iproute2 util-linux" >&2
		exit 2
	fi
done
if [ ! -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ]; then
	echo "with-pcscd.sh: the vpcd driver is missing; install: apt-get install -y vsmartcard-vpcd" >&2
	exit 2
fi

if [ "${WITH_PCSCD_INSIDE:-}" != 1 ]; then
	# The same path for the same command in the same checkout (tests read it, and go test keeps a
	# cached result only while what a test read is the same), emptied at each start.
	if [ -z "${PCSCD_LOG:-}" ]; then
		PCSCD_LOG="${TMPDIR:-/tmp}/scrdesk-pcscd-$(id -u)-$(printf '%s %s' "$PWD" "$*" | sha256sum | cut -c1-12).log"
		: >"$PCSCD_LOG"
	fi
	export PCSCD_LOG
	echo "with-pcscd.sh: pcscd log: $PCSCD_LOG" >&2
	export WITH_PCSCD_INSIDE=1
	exec unshare --mount --net --pid --fork --mount-proc "$0" "$@"
fi

# Inside the namespaces.
mount --make-rprivate / 2>/dev/null || true
mkdir -p /run/pcscd
mount -t tmpfs tmpfs /run/pcscd
ip link set lo up
# No --auto-exit: pcscd would quit after 60 s idle and close the reader ports.
pcscd --foreground >>"$PCSCD_LOG" 2>&1 &
for _ in $(seq 1 100); do
	[ -S /run/pcscd/pcscd.comm ] && break
	sleep 0.05
done
if [ ! -S /run/pcscd/pcscd.comm ]; then
	echo "with-pcscd.sh: pcscd did not start; its log ($PCSCD_LOG):" >&2
	tail -20 "$PCSCD_LOG" >&2
	exit 1
fi
# Wait for the vpcd driver to listen on its ports (35963 = 0x8C7B). Read
# /proc/net/tcp rather than connecting: a connection is a card insertion.
for _ in $(seq 1 100); do
	grep -q ':8C7B 00000000:0000 0A' /proc/net/tcp 2>/dev/null && break
	sleep 0.05
done
export SCRDESK_PCSC_NAMESPACE=1
set +e
"$@"
status=$?
exit "$status"
