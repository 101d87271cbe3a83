#!/usr/bin/env bash
# wine-inner.sh - runs inside the trixie chroot and the private namespaces made by
# scripts/wine-test.sh: the chroot's pcscd (with --disable-polkit) and vpcd, a virtual card,
# Wine 10 in a fresh prefix, the MSI installed and the installed scrdesk.exe run.
set -uo pipefail
t=/tmp/scrdesk-test
out=$t/out
mkdir -p "$out"
export HOME=/tmp/home WINEPREFIX=/tmp/wineprefix WINEDEBUG=-all
export WINEDLLOVERRIDES='mscoree,mshtml,winemenubuilder.exe=d'
mkdir -p "$HOME"
fails=0
pass() { echo "wine-test: ok: $*"; }
fail() { echo "wine-test: FAIL: $*" >&2; fails=$((fails + 1)); }
# expect NAME FILE LINE: FILE must hold LINE exactly (one whole line).
expect() {
  if grep -qxF -- "$3" "$2"; then pass "$1"; else
    fail "$1: no line \"$3\" in:"; sed 's/^/    /' "$2" >&2; fi
}

pcscd --foreground --disable-polkit >"$out/pcscd.log" 2>&1 &
for _ in $(seq 1 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
[ -S /run/pcscd/pcscd.comm ] || { echo "wine-test: the chroot's pcscd did not start" >&2; cat "$out/pcscd.log" >&2; exit 1; }
for _ in $(seq 1 100); do grep -q ':8C7B 00000000:0000 0A' /proc/net/tcp 2>/dev/null && break; sleep 0.05; done
"$t/vcard" --ca-pem "$t/demo-ca.pem" >"$out/vcard.log" 2>&1 &
vcard=$!

# The chroot's Xvfb first: Wine's desktop (explorer) binds to the display it starts with.
Xvfb :77 -screen 0 1280x800x24 -nolisten tcp -noreset >"$out/xvfb.log" 2>&1 &
for _ in $(seq 1 100); do [ -e /tmp/.X11-unix/X77 ] && break; sleep 0.1; done
export DISPLAY=:77
wine wineboot -i >"$out/wineboot.log" 2>&1 || { fail "wineboot"; cat "$out/wineboot.log" >&2; exit 1; }
wine msiexec /i 'Z:\tmp\scrdesk-test\scrdesk.msi' /qn >"$out/msiexec.log" 2>&1
pf="$WINEPREFIX/drive_c/Program Files/SCR Desk"
if [ -f "$pf/scrdesk.exe" ]; then pass "msiexec /i installed C:\\Program Files\\SCR Desk\\scrdesk.exe"; else
  fail "msiexec /i: no scrdesk.exe under C:\\Program Files\\SCR Desk"; cat "$out/msiexec.log" >&2; exit 1; fi
find "$WINEPREFIX/drive_c" -iname 'SCR Desk.lnk' | sed "s|$WINEPREFIX/drive_c|C:|" | sort >"$out/shortcuts.txt"
if grep -qi 'Desktop/SCR Desk.lnk' "$out/shortcuts.txt" && grep -qi 'Start Menu/Programs/SCR Desk.lnk' "$out/shortcuts.txt"; then
  pass "Start-menu and desktop shortcuts: $(tr '\n' ' ' <"$out/shortcuts.txt")"
else
  fail "shortcuts missing: $(cat "$out/shortcuts.txt")"
fi
exe='C:\Program Files\SCR Desk\scrdesk.exe'
run() { wine "$exe" "$@"; }

run version >"$out/version.txt" 2>&1
expect "version" "$out/version.txt" "SCR Desk 0.1.0"

# A fresh data folder: the user's own, which must be under %LOCALAPPDATA%.
run audit verify >"$out/verify.txt" 2>&1
expect "audit verify (fresh log)" "$out/verify.txt" "Verified: the audit log is intact and holds no entries yet."
db=$(find "$WINEPREFIX/drive_c/users" -path '*/AppData/Local/SCR Desk/scrdesk.db' | head -1)
if [ -n "$db" ]; then pass "the audit log is under %LOCALAPPDATA%: ${db#$WINEPREFIX/drive_c/}"; else
  fail "no scrdesk.db under %LOCALAPPDATA%\\SCR Desk"; find "$WINEPREFIX/drive_c/users" -name 'scrdesk*' >&2; fi
run audit export --format jsonl >"$out/export.txt" 2>"$out/export.err"
if grep -q '"action":"audit-verified"' "$out/export.txt"; then pass "audit export shows the verify row"; else
  fail "audit export"; cat "$out/export.txt" "$out/export.err" >&2; fi
expect "audit export (the verify row and the export's own row)" "$out/export.err" "exported 2 rows"

# The keyring: Wine's Credential Manager (advapi32 CredWrite/CredRead/CredDelete).
echo 'pw-under-wine' | run client-key-password --stdin >"$out/keyring.txt" 2>&1
expect "keyring: Credential Manager set" "$out/keyring.txt" "The client key password is kept in the system keyring."
run client-key-password --clear >"$out/keyring-clear.txt" 2>&1
expect "keyring: Credential Manager delete" "$out/keyring-clear.txt" "The client key password was removed."

# card check: the virtual card through Wine's winscard and the chroot's pcscd.
echo 123456 | run card check --trust-anchors 'Z:\tmp\scrdesk-test\demo-ca.pem' --pin-stdin --timeout 20s >"$out/card-check.txt" 2>&1
expect "card check: reader" "$out/card-check.txt" "Reader:       Virtual PCD 00 00"
expect "card check: chain" "$out/card-check.txt" "Chain:        ok: chains to a trust anchor and is in date"
expect "card check: result" "$out/card-check.txt" "Result:       OK: this card signs in here"

# The window, under the chroot's Xvfb: a screenshot.
run --demo >"$out/window.log" 2>&1 &
win=""
for _ in $(seq 1 120); do
  win=$(xdotool search --name '^SCR Desk$' 2>/dev/null | head -1)
  [ -n "$win" ] && break
  sleep 0.5
done
if [ -n "$win" ]; then
  sleep 8 # the demo's services open behind the window
  import -window root "$out/window.png" && pass "the window opened under Xvfb (screenshot window.png)" || fail "screenshot"
else
  fail "no SCR Desk window within 60 s"; cat "$out/window.log" >&2
fi
wineserver -k 2>/dev/null || true
kill %Xvfb 2>/dev/null

# Uninstall: the program and both shortcuts go; the audit log (the pharmacy's record) stays.
wine msiexec /x 'Z:\tmp\scrdesk-test\scrdesk.msi' /qn >"$out/uninstall.log" 2>&1
left=$(find "$WINEPREFIX/drive_c" -iname 'SCR Desk.lnk' -o -iname scrdesk.exe)
if [ -z "$left" ] && [ ! -e "$pf" ]; then pass "msiexec /x removed scrdesk.exe, its folder and both shortcuts"; else
  fail "msiexec /x left: $left $(ls -d "$pf" 2>/dev/null)"; fi
[ -n "$db" ] && [ -f "$db" ] && pass "the audit log is kept after uninstall"
wineserver -k 2>/dev/null || true

kill "$vcard" 2>/dev/null
exit $fails
