#!/bin/sh
# make demo: custosd releasing a secret to an attested (simulated) SEV-SNP
# workload, and refusing another workload, with the audit trail to show it.
set -eu
B=${1:-build}
for t in custosd custos custos-agent tools/custos-snp-sim; do
	[ -x "$B/$t" ] || { echo "demo: $B/$t is missing: run make first" >&2; exit 2; }
done
DEMO=$(mktemp -d /tmp/custos-demo.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$DEMO"
}
trap cleanup EXIT INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. A data directory for custosd (keys, TLS certificate, SQLite database)"
"$B/custosd" init "$DEMO/data"

step "2. A simulated SEV-SNP platform (TEST PKI: no TEE hardware here)"
"$B/tools/custos-snp-sim" init "$DEMO/pki" | head -3
cp "$DEMO/pki/ask.pem" "$DEMO/data/collateral/"
GOOD=404346494c4f5255585b5e6164676a6d707376797c7f8285888b8e9194979a9da0a3a6a9acafb2b5b8bbbec1c4c7cacd
OTHER=$(printf '%096d' 0 | tr 0 e)
echo "the workload's launch measurement: $GOOD"
cat >"$DEMO/data/refvalues.json" <<JSON
{"version": 1, "sets": {"measurements": {"values": ["$GOOD"]}}}
JSON

step "3. custosd, trusting the simulated platform's root (INSECURE, demo only)"
"$B/custosd" --data "$DEMO/data" --listen 127.0.0.1:0 --log "$DEMO/requests.log" \
	--insecure-test-root "$DEMO/pki/ark.pem" >"$DEMO/custosd.out" 2>"$DEMO/custosd.err" &
PID=$!
for _ in $(seq 50); do grep -q listening "$DEMO/custosd.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on //p' "$DEMO/custosd.out")
[ -n "$URL" ] || { cat "$DEMO/custosd.err"; exit 1; }
head -1 "$DEMO/custosd.err"
echo "custosd: $URL"
CA="$DEMO/data/tls/cert.pem"
ADMIN="$B/custos admin --url $URL --ca $CA --key $DEMO/data/keys/admin-key.pem"

step "4. A tenant, a release policy pinned to the measurement, and a secret (custos admin)"
$ADMIN tenant create payments
cat >"$DEMO/policy.json" <<JSON
{"version": 1, "kind": "release", "id": "payments-db", "revision": 1,
 "description": "only the payments image, attested and affirmed",
 "allow": {"allOf": [
   {"claim": "submods.cpu0.ear.veraison.annotated-evidence.measurement", "equals": "$GOOD"},
   {"claim": "submods.cpu0.ear.status", "equals": "affirming"}]}}
JSON
$ADMIN policy put payments "$DEMO/policy.json"
SECRET="postgres://payments:correct-horse-battery-staple@db/payments"
printf %s "$SECRET" >"$DEMO/secret.in"
$ADMIN resource put payments db/password --policy payments-db --secret-file "$DEMO/secret.in"
rm -f "$DEMO/secret.in"
$ADMIN resource list payments

step "5. The payments workload attests (KBS protocol 0.4.0) and receives the secret"
"$B/custos-agent" get-resource kbs:///payments/db/password --url "$URL" --ca "$CA" \
	--attester sim --sim-pki "$DEMO/pki" --sim-tool "$B/tools/custos-snp-sim" \
	--sim-measurement "$GOOD" >"$DEMO/secret"
echo "released secret: $(cat "$DEMO/secret")"
[ "$(cat "$DEMO/secret")" = "$SECRET" ]

step "6. Another workload (another measurement) is refused, and told why"
if "$B/custos-agent" get-resource kbs:///payments/db/password --url "$URL" --ca "$CA" \
	--attester sim --sim-pki "$DEMO/pki" --sim-tool "$B/tools/custos-snp-sim" \
	--sim-measurement "$OTHER"; then
	echo "demo: the other workload was NOT refused" >&2
	exit 1
fi

step "7. The audit trail (hash-chained; every attestation, decision and admin change)"
"$B/custos" audit export "$DEMO/data" | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line); d = r["data"]
    what = d.get("event") or d.get("result") or d.get("decision")
    extra = d.get("tenant", "") + ("/" + d["resource"] if "resource" in d else "")
    reason = (" - " + d["reason"][:90]) if "reason" in d else ""
    print("{:3} {:<11} {:<16} {:<22}{}".format(r["seq"], r["kind"], what, extra, reason))
'
"$B/custos" audit verify "$DEMO/data"

step "8. Stop custosd"
kill "$PID"
wait "$PID" || true
PID=
echo "demo complete"
