#!/usr/bin/env bash
# Installs the Debian packages SCR Desk needs, and only those missing. Idempotent: a second run
# installs nothing and says so. Uses sudo when not root.
#
#   scripts/deps.sh build   # compile the app (Fyne: cgo, OpenGL, X11/Wayland; PC/SC headers)
#   scripts/deps.sh run     # build + what the app needs at run time
#   scripts/deps.sh test    # run + everything make test uses (pcscd, virtual readers, OpenSC,
#                           # Xvfb, gnome-keyring, mingw-w64, desktop-file-utils, appstream,
#                           # PostgreSQL 15 for the central audit log's tests, poppler-utils
#                           # to read back and render the PDF reports)
#   scripts/deps.sh fingerprint  # prints a short hash of the installed versions of the test
#                           # packages and the kernel: make test links it into the test binaries
#                           # of the packages that use those services, so go test's cached result
#                           # of such a package holds only while they are the same
set -euo pipefail
what=${1:-run}

build=(gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev libpcsclite-dev)
run=("${build[@]}" pcscd libpcsclite1)
test=("${run[@]}" vsmartcard-vpcd pcsc-tools opensc xvfb xdotool imagemagick x11-utils
      gnome-keyring dbus-x11 libsecret-tools gcc-mingw-w64-x86-64 wixl debootstrap desktop-file-utils appstream
      iproute2 util-linux procps file postgresql-15 poppler-utils)

if [ "$what" = fingerprint ]; then
  # The packages, the X libraries the binary links (xorg-dev names them only as dependencies),
  # the D-Bus daemon the keyring runs on, pcscd's reader configuration, the scripts that start
  # and configure the services, and the kernel.
  { dpkg-query -W -f='${Package}=${Version}\n' "${test[@]}" libx11-6 libgl1 libglx-mesa0 libgl1-mesa-dri dbus dbus-daemon 2>&1
    cat /etc/reader.conf.d/* 2>/dev/null
    sha256sum "$(dirname "$0")"/with-*.sh
    uname -r; } | sha256sum | cut -c1-16
  exit 0
fi

case "$what" in
  build) want=("${build[@]}") ;;
  run) want=("${run[@]}") ;;
  test) want=("${test[@]}") ;;
  *) echo "usage: $0 build|run|test|fingerprint" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#want[@]} Debian packages for '$what' are installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# pcscd's package starts the service where systemd runs; tests use their own private pcscd.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} package(s)"
