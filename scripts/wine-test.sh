#!/usr/bin/env bash
# wine-test.sh - the Windows build, installed and run: installs build/scrdesk.msi with msiexec
# under Wine 10 in a fresh prefix, inside the Debian 13 chroot scripts/wine-chroot.sh makes (and
# caches outside the clone), and runs the installed scrdesk.exe there: version; audit verify
# and audit export on a fresh data folder (which must be under %LOCALAPPDATA%); the keyring's
# Credential Manager path; card check with a virtual card through Wine's winscard and the
# chroot's own pcscd; the window under the chroot's Xvfb (a screenshot,
# build/wine/window.png); then msiexec /x, which must remove the program and its shortcuts.
# Results are judged by exact output lines.
#
# Where the machine cannot (not root, no chroot, no network for debootstrap) it says why and
# exits 0 (SKIP), unless SCRDESK_REQUIRE_WINE=1 (make test sets it), which makes that a
# failure. Needs build/scrdesk.msi (make windows).
#
# --cached (make test): a run that passed with the same scrdesk.exe, installer source, Wine
# scripts, virtual-card helper and chroot is not repeated: its stamp is kept under
# ~/.cache/scrdesk-test. SCRDESK_WINE_FRESH=1 (make test sets it under CI=true or FRESH=1) runs it
# anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
skip() {
  if [ "${SCRDESK_REQUIRE_WINE:-}" = 1 ]; then
    echo "wine-test: FAIL (SCRDESK_REQUIRE_WINE=1): $*" >&2
    exit 1
  fi
  echo "wine-test: SKIP: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root (a chroot and private namespaces)"
[ -f build/scrdesk.msi ] || { echo "wine-test: build/scrdesk.msi is missing: run make windows first" >&2; exit 1; }
root=$(scripts/wine-chroot.sh | tail -1) || skip "the Debian 13 chroot for Wine 10 could not be made (see above)"
chroot "$root" test -x /usr/bin/wine || skip "no Wine in $root"

# The Linux helper that puts a virtual card into the chroot's vpcd reader (static: the
# chroot's libc is not the host's).
stage=$(mktemp -d /tmp/scrdesk-wine.XXXXXX)
trap 'rm -rf "$stage"' EXIT
CGO_ENABLED=0 go build -o "$stage/vcard" ./internal/e2e/vcard

stamp=""
if [ "${1:-}" = --cached ]; then
  # The MSI's inputs, not the MSI (wixl stamps each build with new package codes): the exe, the
  # icon, the version, the installer's source and the script and tools that build it (wixl's
  # version is in the fingerprint), the Wine scripts, the card helper and the chroot.
  key=$({ sha256sum build/scrdesk.exe build/scrdesk.ico FyneApp.toml assets/windows/scrdesk.wxs scripts/windows.sh \
            scripts/wine-test.sh scripts/wine-inner.sh scripts/wine-chroot.sh "$stage/vcard" | cut -d' ' -f1
          scripts/deps.sh fingerprint; echo "$root"; stat -c %Y "$root/var/lib/dpkg/status"; } | sha256sum | cut -c1-32)
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/scrdesk-test
  stamp="$cache/wine-$key.ok"
  if [ "${SCRDESK_WINE_FRESH:-0}" != 1 ] && [ -f "$stamp" ]; then
    echo "wine-test: ok (cached: this scrdesk.exe, installer, Wine scripts and chroot passed at $(date -r "$stamp" '+%d %b %H:%M'); FRESH=1 runs it again)"
    exit 0
  fi
fi
cp build/scrdesk.msi scripts/wine-inner.sh "$stage/"
mkdir -p build/wine
rm -f build/wine/*

echo "wine-test: Wine 10 in the Debian 13 chroot $root"
set +e
SCRDESK_WINE_ROOT="$root" SCRDESK_WINE_STAGE="$stage" SCRDESK_WINE_OUT="$repo/build/wine" \
  unshare --mount --net --pid --fork --mount-proc bash -euo pipefail -c '
    mount --make-rprivate /
    ip link set lo up
    r=$SCRDESK_WINE_ROOT
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/tmp"
    mkdir -p "$r/run/pcscd" && mount -t tmpfs tmpfs "$r/run/pcscd"
    mkdir -p "$r/tmp/scrdesk-test" && cp -a "$SCRDESK_WINE_STAGE"/. "$r/tmp/scrdesk-test/"
    set +e
    chroot "$r" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
      bash /tmp/scrdesk-test/wine-inner.sh
    st=$?
    cp -a "$r/tmp/scrdesk-test/out/." "$SCRDESK_WINE_OUT/" 2>/dev/null
    exit $st'
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "wine-test: FAILED (exit $status); logs in build/wine/" >&2
  exit "$status"
fi
if [ -n "$stamp" ]; then mkdir -p "$(dirname "$stamp")" && touch "$stamp"; fi
echo "wine-test: ok (screenshot build/wine/window.png)"
