#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# AWS Nitro attestation document verification: Custos (bench_nitro, against
# OpenSSL's raw ECDSA P-384 rate) and its peer @evervault/attestation-bindings
# from the npm registry at a pinned version (a NAPI module, its prebuilt
# linux-x64-gnu binary an optional dependency from the registry), installed
# into a temporary directory (never vendored), on the same document in the
# same run. The peer checks certificate validity against the clock and takes
# no time, so it runs under faketime at the sample's verify_at; it needs the
# TLS certificate whose public key the document's user_data carries
# (tls_cert.der), as evervault-nondebug-in-tls-cert-2023 has.
#   bench/bench_nitro.sh BUILD_DIR SAMPLE_DIR [RUNS] [SECONDS]
set -eu
build=$1
dir=$2
runs=${3:-5}
secs=${4:-2}
peer=@evervault/attestation-bindings
peer_version=1.0.0
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/peer_common.sh"
run_custos "$build/bench/bench_nitro" "$dir" "$runs" "$secs"
need "$peer" node npm faketime
npm install --silent --no-audit --no-fund --prefix "$tmp" "$peer@$peer_version" >&2
at=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).verify_at' "$dir/sample.json")
# -m: libfaketime for a multi-threaded program; the monotonic clock (the
# peer's timer) is left alone. The module's own messages (it prints why it
# rejects a document) are shown only if the peer fails.
run_peer faketime -m --exclude-monotonic "$at" \
	node "$here/nitro_peer.js" "$tmp" "$dir" "$runs" "$secs"
compare "$peer $peer_version"
