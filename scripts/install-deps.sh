#!/bin/sh
# Install the Debian packages that building and testing Custos needs.
# Idempotent: prints nothing and touches nothing when everything is present.
set -eu

PACKAGES="
build-essential
pkg-config
meson
ninja-build
clang
libclang-rt-dev
clang-format
libssl-dev
openssl
python3
curl
libjansson-dev
libjose-dev
libcbor-dev
libxml2-dev
libxmlsec1-dev
libtss2-dev
swtpm
swtpm-tools
tpm2-tools
valgrind
clevis
jose
clevis-luks
cryptsetup-bin
libcmocka-dev
libmicrohttpd-dev
libsqlite3-dev
libcurl4-openssl-dev
libp11-kit-dev
softhsm2
"

# --bench: also Node.js and npm, which run the benchmarks' peers from the npm
# registry. Only installed (from Debian) when the commands are absent, so a
# newer Node.js already on the machine is left alone. And faketime, which runs
# the Nitro peer at its sample's time (it checks certificates against the
# clock and takes no time), and gnuplot for docs/benchmarks.png.
if [ "${1:-}" = "--bench" ]; then
	command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
	command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"
	PACKAGES="$PACKAGES faketime gnuplot-nox"
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
