#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# DCAP quote verification: Custos (bench_dcap, against OpenSSL's raw P-256
# rate) and its peer @phala/dcap-qvl from the npm registry at a pinned
# version, installed into a temporary directory (never vendored), on the same
# quote and collateral in the same run.
#   bench/bench_dcap.sh BUILD_DIR SAMPLE_DIR [RUNS] [SECONDS]
set -eu
build=$1
dir=$2
runs=${3:-5}
secs=${4:-2}
peer_version=0.3.9
here=$(cd "$(dirname "$0")" && pwd)

"$build/bench/bench_dcap" "$dir" "$runs" "$secs" | tee /tmp/custos-bench-dcap.$$
custos=$(sed -n 's/^median: .* custos \([0-9]*\)\/s.*/\1/p' /tmp/custos-bench-dcap.$$)
rm -f /tmp/custos-bench-dcap.$$

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "peer: node and npm are needed for @phala/dcap-qvl (scripts/install-deps.sh installs them)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm install --silent --no-audit --no-fund --prefix "$tmp" "@phala/dcap-qvl@$peer_version" >&2
node "$here/dcap_peer.js" "$tmp" "$dir" "$runs" "$secs" | tee "$tmp/peer.out"
peer=$(sed -n 's/^peer median: \([0-9]*\) .*/\1/p' "$tmp/peer.out")
echo "custos/peer (@phala/dcap-qvl $peer_version): $custos / $peer = $(awk "BEGIN { printf \"%.1f\", $custos / $peer }")x (target >= 10x)"
