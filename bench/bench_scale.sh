#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Scale: attest-and-release through custosd (bench_custosd.sh, one client)
# with 10^3, 10^5 and 10^6 other resources and audit records in the store
# (bench/fill_store.py); the release step's latency should not grow with them.
#   bench/bench_scale.sh [BUILD_DIR] [SECONDS] [SIZES]
set -eu
B=${1:-build-release}
SECS=${2:-3}
SIZES=${3:-1000 100000 1000000}
here=$(cd "$(dirname "$0")" && pwd)
for n in $SIZES; do
	out=$(BENCH_FILL=$n "$here/bench_custosd.sh" "$B" 3 "$SECS" 1) || {
		echo "$out"
		exit 1
	}
	echo "$out" | grep -E '^fill_store:|^audit log intact'
	steps=$(echo "$out" | sed -n 's/^1 *auth \(.*\)$/\1/p')
	rt=$(echo "$out" | sed -n 's/^1 *\([0-9]*\) (.*/\1/p' | tail -1)
	resource=$(echo "$steps" | sed -n 's/.*resource \([0-9.]*\).*/\1/p')
	attest=$(echo "$steps" | sed -n 's/.*attest \([0-9.]*\),.*/\1/p')
	echo "scale: $n resources and $n audit records: release $resource ms, attest $attest ms (medians), $rt round trips/s"
done
