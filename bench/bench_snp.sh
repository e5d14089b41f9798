#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SEV-SNP report verification: Custos (bench_snp, chain cached, against
# OpenSSL's raw ECDSA P-384 rate) and its peer @lit-protocol/sev-snp-utils-sdk
# (the virtee sev crate in WebAssembly) from the npm registry at a pinned
# version, installed into a temporary directory (never vendored), on the same
# report and VCEK in the same run. The package loads pako without declaring
# it, so pako is installed beside it, pinned too.
# @tinfoilsh/verifier 1.1.0 is not the peer: it takes the VCEK as input, but
# verifies Genoa VCEK-signed reports only (ARK/ASK-Genoa built in, a VCEK
# whose product name is not Genoa refused), and the corpus's reports are
# Milan.
#   bench/bench_snp.sh BUILD_DIR SAMPLE_DIR [RUNS] [SECONDS]
set -eu
build=$1
dir=$2
runs=${3:-5}
secs=${4:-2}
peer=@lit-protocol/sev-snp-utils-sdk
peer_version=6.11.5
pako_version=2.1.0
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/peer_common.sh"
run_custos "$build/bench/bench_snp" "$dir" "$runs" "$secs"
need "$peer" node npm
npm install --silent --no-audit --no-fund --prefix "$tmp" "$peer@$peer_version" "pako@$pako_version" >&2
run_peer node "$here/snp_peer.js" "$tmp" "$dir" "$runs" "$secs"
compare "$peer $peer_version"
