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
"$build/bench/bench_snp" "$dir" "$runs" "$secs" | tee "$tmp/custos.out"
custos=$(sed -n 's/^median: .* custos \([0-9]*\)\/s.*/\1/p' "$tmp/custos.out")
[ -n "$custos" ] || exit 1

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "peer: node and npm are needed for $peer (scripts/install-deps.sh --bench installs them)" >&2
	exit 1
fi
npm install --silent --no-audit --no-fund --prefix "$tmp" "$peer@$peer_version" "pako@$pako_version" >&2
{
	rc=0
	node "$here/snp_peer.js" "$tmp" "$dir" "$runs" "$secs" || rc=$?
	echo $rc >"$tmp/peer.rc"
} | tee "$tmp/peer.out"
[ "$(cat "$tmp/peer.rc")" = 0 ] || exit 1
peer_rate=$(sed -n 's/^peer median: \([0-9]*\) .*/\1/p' "$tmp/peer.out")
[ -n "$peer_rate" ] || exit 1
echo "custos/peer ($peer $peer_version): $custos / $peer_rate = $(awk "BEGIN { printf \"%.1f\", $custos / $peer_rate }")x"
