#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# End-to-end benchmark of custosd: attest-and-release round trips on loopback
# (KBS 0.4.0: auth -> attest -> resource as JWE) at several concurrencies,
# against the raw ECDSA P-384 verification rate measured in the same run.
#
#   bench/bench_custosd.sh [BUILD_DIR] [RUNS] [SECONDS] [CLIENTS]
#
# (defaults build-release 3 5 1,16,64,256; run from the source root). This script
# prepares a fresh data directory and a simulated SEV-SNP platform, starts
# custosd, creates a tenant, a release policy and a secret through the admin
# API, runs BUILD_DIR/bench/bench_custosd, checks the audit chain, and stops
# custosd. The data directory goes under $BENCH_TMPDIR (default /var/tmp): it
# must be on a real disk, or the durable audit costs nothing (the benchmark
# prints the file system type). BENCH_KEEP=1 keeps the directory (custosd's
# request log, database) and prints where it is; BENCH_FILL=N fills the store
# with N other resources and audit records first; BENCH_ARGS passes more
# options to bench_custosd (e.g. --no-presign, --floor-seconds 3).
set -eu
B=${1:-build-release}
RUNS=${2:-3}
SECS=${3:-5}
CLIENTS=${4:-1,16,64,256}
for t in custosd custos tools/custos-snp-sim bench/bench_custosd; do
	[ -x "$B/$t" ] || { echo "bench_custosd: $B/$t is missing: build it first" >&2; exit 2; }
done
D=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/custos-bench.XXXXXX")
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench_custosd: kept $D"
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$B/custosd" init "$D/data" >/dev/null
"$B/tools/custos-snp-sim" init "$D/pki" >/dev/null
cp "$D/pki/ask.pem" "$D/data/collateral/"
# custos-snp-sim's default MEASUREMENT (byte i is 0x40 + 3i): the benchmark's workload.
GOOD=404346494c4f5255585b5e6164676a6d707376797c7f8285888b8e9194979a9da0a3a6a9acafb2b5b8bbbec1c4c7cacd
cat >"$D/data/refvalues.json" <<JSON
{"version": 1, "sets": {"measurements": {"values": ["$GOOD"]}}}
JSON
# All the load comes from one address (127.0.0.1): the per-address rate limit
# would measure itself, not custosd. Everything else stays at its default
# (threads = 4).
if grep -q '^rate_limit' "$D/data/custosd.conf"; then
	sed -i 's/^rate_limit.*/rate_limit = 0/' "$D/data/custosd.conf"
fi
# ... and the connections per address: 256 clients are 256 connections from it.
sed -i '/^max_connections_per_ip/d' "$D/data/custosd.conf"
echo "max_connections_per_ip = 512" >>"$D/data/custosd.conf"

# BENCH_FILL=N: the store holds N other resources and N audit records first (the scale
# benchmark, bench/bench_scale.sh); the schema comes from a first start.
if [ -n "${BENCH_FILL:-}" ]; then
	"$B/custosd" --data "$D/data" --listen 127.0.0.1:0 >"$D/fill.out" 2>&1 &
	PID=$!
	for _ in $(seq 100); do grep -q listening "$D/fill.out" 2>/dev/null && break; sleep 0.1; done
	kill "$PID"
	wait "$PID" || true
	PID=
	python3 "$(dirname "$0")/fill_store.py" "$D/data/custosd.db" "$BENCH_FILL"
fi
"$B/custosd" --data "$D/data" --listen 127.0.0.1:0 --log "$D/requests.log" \
	--insecure-test-root "$D/pki/ark.pem" >"$D/custosd.out" 2>"$D/custosd.err" &
PID=$!
for _ in $(seq 100); do grep -q listening "$D/custosd.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on //p' "$D/custosd.out")
[ -n "$URL" ] || { echo "bench_custosd: custosd did not start:" >&2; cat "$D/custosd.err" >&2; exit 1; }
CA="$D/data/tls/cert.pem"
TOKEN=$("$B/custos" admin token --key "$D/data/keys/admin-key.pem" --role admin --sub bench)
api() { curl -sS -o /dev/null --fail-with-body --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$@"; }
api -X PUT "$URL/v1/admin/tenants/bench"
api -X POST "$URL/v1/admin/tenants/bench/policies" --data-binary @- <<JSON
{"version": 1, "kind": "release", "id": "bench-db", "revision": 1,
 "description": "the benchmark's workload, attested and affirmed",
 "allow": {"allOf": [
   {"claim": "submods.cpu0.ear.veraison.annotated-evidence.measurement", "equals": "$GOOD"},
   {"claim": "submods.cpu0.ear.status", "equals": "affirming"}]}}
JSON
SECRET="postgres://bench:correct-horse-battery-staple@db/bench"
api -X PUT "$URL/v1/admin/tenants/bench/resources/db/password" \
	--data "{\"secret\": \"$(printf %s "$SECRET" | base64 -w0 | tr '+/' '-_' | tr -d =)\", \"policy\": \"bench-db\"}"

# What is measured: the working tree's revision, and whether src/ differs from it.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "source: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src cmd 2>/dev/null || echo ' + uncommitted changes in src/ or cmd/')"
fi
# (its exit status through the pipe: sh has no pipefail)
{
	# shellcheck disable=SC2086 # BENCH_ARGS: options, split on purpose
	"$B/bench/bench_custosd" --url "$URL" --data "$D/data" --pki "$D/pki" --pid "$PID" \
		--resource bench/db/password --secret "$SECRET" --runs "$RUNS" --seconds "$SECS" \
		--clients "$CLIENTS" ${BENCH_ARGS:-} || echo $? >"$D/failed"
} | tee "$D/bench.out"
[ ! -e "$D/failed" ] || exit "$(cat "$D/failed")"

kill "$PID"
wait "$PID" || true
PID=
# Every acknowledged round trip must be on the audit log twice (the attestation
# and the release decision), in an intact hash chain.
"$B/custos" audit verify "$D/data" | tee "$D/audit.out"
RT=$(sed -n 's/^round trips in all: \([0-9]*\).*/\1/p' "$D/bench.out")
N=$(sed -n 's/.*intact: \([0-9]*\) records.*/\1/p' "$D/audit.out")
if [ -n "$RT" ] && [ -n "$N" ]; then
	if [ "$N" -lt $((2 * RT)) ]; then
		echo "bench_custosd: $RT round trips but only $N audit records" >&2
		exit 1
	fi
	echo "audit: $N records = 2 x $RT round trips + $((N - 2 * RT)) from the setup"
fi
