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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/peer_common.sh"
run_custos "$build/bench/bench_dcap" "$dir" "$runs" "$secs"
need "@phala/dcap-qvl" node npm
npm install --silent --no-audit --no-fund --prefix "$tmp" "@phala/dcap-qvl@$peer_version" >&2
run_peer node "$here/dcap_peer.js" "$tmp" "$dir" "$runs" "$secs"
compare "@phala/dcap-qvl $peer_version" "(target >= 10x)"
