#!/usr/bin/env bash
# wine-chroot.sh - make (once) and print the path of the Debian 13 (trixie) chroot that the
# Windows tests run Wine 10 in. Debian 12's Wine 8 cannot start Go 1.26 programs and its
# winscard is a stub (../shared/docs/TESTING.md, "Windows builds under Wine").
#
# The chroot is cached OUTSIDE the clone, in $SCRDESK_WINE_ROOT (default
# /var/cache/scrdesk-wine/trixie), and reused: it is made again only when missing or when its
# stamp (the package list below) differs. About 2 GB. Needs root, debootstrap and the network
# (the Debian mirror of /etc/apt/sources*). Prints the chroot's path on stdout as the last line.
set -euo pipefail
root=${SCRDESK_WINE_ROOT:-/var/cache/scrdesk-wine/trixie}
pkgs=(wine64 wine pcscd vsmartcard-vpcd libpcsclite1 xvfb xdotool libgl1-mesa-dri imagemagick x11-utils fonts-dejavu-core)
stamp="scrdesk-wine-chroot v1: ${pkgs[*]}"

if [ -f "$root/.scrdesk-stamp" ] && [ "$(cat "$root/.scrdesk-stamp")" = "$stamp" ]; then
  echo "$root"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "wine-chroot.sh: must run as root to make the chroot in $root" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/* *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
echo "wine-chroot.sh: making the trixie chroot in $root from $mirror (once; a few minutes)" >&2
rm -rf "$root.tmp"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase trixie "$root.tmp" "$mirror" >"$root.tmp.log" 2>&1 || {
  echo "wine-chroot.sh: debootstrap failed; its log:" >&2; tail -20 "$root.tmp.log" >&2; exit 1; }
cat > "$root.tmp/usr/sbin/policy-rc.d" <<'P'
#!/bin/sh
exit 101
P
chmod 755 "$root.tmp/usr/sbin/policy-rc.d"
chroot "$root.tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${pkgs[*]} && apt-get clean" \
  >>"$root.tmp.log" 2>&1 || {
  echo "wine-chroot.sh: installing Wine in the chroot failed; its log:" >&2; tail -20 "$root.tmp.log" >&2; exit 1; }
echo "$stamp" > "$root.tmp/.scrdesk-stamp"
rm -rf "$root"
mv "$root.tmp" "$root"
rm -f "$root.tmp.log"
echo "$root"
