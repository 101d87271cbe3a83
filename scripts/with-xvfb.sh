#!/usr/bin/env bash
# Runs a command with a private X server (Xvfb, 1280x800x24), then stops it.
#   scripts/with-xvfb.sh CMD [ARGS...]
# Xvfb picks a free display itself (-displayfd) and tells us which, so two runs started at the
# same moment (two developers, or a test beside another) never share, or kill, one server.
# -noreset: otherwise the server resets whenever its last client leaves, and a window that
# connects during the reset is refused.
set -euo pipefail
fifo=$(mktemp -u -t scrdesk-xvfb.XXXXXX)
mkfifo "$fifo"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$fifo" >/dev/null 2>&1 &
xpid=$!
trap 'kill $xpid 2>/dev/null || true; wait $xpid 2>/dev/null || true; rm -f "$fifo"' EXIT
read -r -t 30 disp <"$fifo" || { echo "with-xvfb.sh: Xvfb did not start" >&2; exit 1; }
rm -f "$fifo"
: "${disp:?Xvfb did not say which display it took}"
kill -0 "$xpid" 2>/dev/null || { echo "with-xvfb.sh: Xvfb exited" >&2; exit 1; }
export DISPLAY=":$disp"
"$@"
