#!/usr/bin/env bash
# The custos command line end to end: exit codes, messages, output shapes.
set -u
CUSTOS=${1:?usage: test_cli.sh path/to/custos}
CORPUS=${CUSTOS_CORPUS:-}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; }

# expect NAME RC [GREP_STDOUT] [GREP_STDERR] -- ARGS...   (stdin=FILE expect ... feeds FILE)
expect() {
	local name=$1 want=$2 out_re=$3 err_re=$4
	shift 5
	"$CUSTOS" "$@" <"${stdin:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		nok "$name: exit $rc, expected $want"; sed 's/^/    /' "$tmp/err"; return
	fi
	if [ -n "$out_re" ] && ! grep -Eq -- "$out_re" "$tmp/out"; then
		nok "$name: stdout does not match /$out_re/"; head -5 "$tmp/out" | sed 's/^/    /'; return
	fi
	if [ -n "$err_re" ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
		nok "$name: stderr does not match /$err_re/"; sed 's/^/    /' "$tmp/err"; return
	fi
	ok "$name"
}

expect "help" 0 "custos verify" "" -- help
expect "--help" 0 "Exit status" "" -- verify --help
expect "no arguments" 2 "" "Usage" --
expect "unknown command" 2 "" "unknown command 'frobnicate'" -- frobnicate
expect "missing file" 2 "" "missing FILE" -- verify
expect "unreadable file" 2 "" "cannot open $tmp/nope" -- verify "$tmp/nope"
expect "directory as evidence" 2 "" "not a regular file" -- verify "$tmp"
expect "version" 0 "^custos [0-9]" "" -- version

head -c 1184 /dev/zero >"$tmp/zeros.bin"
expect "undetectable evidence" 1 "" "stage decode: .*not recognised" -- verify "$tmp/zeros.bin"
expect "unknown --tee" 2 "" "unknown evidence format 'foo'" -- verify --tee foo "$tmp/zeros.bin"
expect "forced --tee snp on zeros" 1 "" "stage parse: snp: report version 0 not supported" -- verify --tee snp "$tmp/zeros.bin"
expect "bad --at" 2 "" "--at: 'yesterday' is not an RFC 3339 time" -- verify --at yesterday "$tmp/zeros.bin"
expect "bad --report-data" 2 "" "--report-data" -- verify --report-data xyz "$tmp/zeros.bin"
expect "too long --report-data" 2 "" "--report-data" -- verify --report-data "$(printf '00%.0s' $(seq 65))" "$tmp/zeros.bin"
expect "missing collateral path" 2 "" "--collateral $tmp/none" -- verify --collateral "$tmp/none" "$tmp/zeros.bin"
expect "inspect rejects --at" 2 "" "only for verify" -- inspect --at now "$tmp/zeros.bin"

if [ -z "$CORPUS" ] || [ ! -d "$CORPUS/sev-snp" ]; then
	if [ "${CI:-}" = true ]; then
		nok "evidence corpus missing at '$CORPUS' under CI=true"
	else
		echo "# evidence corpus not found at '$CORPUS': corpus CLI tests skipped"
	fi
else
	for d in "$CORPUS"/sev-snp/*/; do
		[ -f "$d/report.bin" ] || continue
		n=$(basename "$d")
		at=$(sed -n 's/^  "verify_at": "\(.*\)",$/\1/p' "$d/sample.json")
		outcome=$(grep -A1 '"expected": {' "$d/sample.json" | sed -n 's/.*"outcome": "\([^"]*\)".*/\1/p')
		[ "${outcome%%-*}" = valid ] || continue
		expect "$n verifies at $at" 0 '"tee": "sev-snp"' "" -- verify --at "$at" --collateral "$d" "$d/report.bin"
		expect "$n verifies with detected and named format" 0 '"verified": true' "" -- verify --tee sev-snp --at "$at" --collateral "$d" "$d/report.bin"
		expect "$n rejected without collateral" 1 "" "stage collateral: snp: no V(C|L)EK certificate" -- verify --at "$at" "$d/report.bin"
		expect "$n rejected in 2100" 1 "" "stage chain: .*expired" -- verify --at 2100-01-01T00:00:00Z --collateral "$d" "$d/report.bin"
		expect "$n --json error object" 1 '"stage": "chain"' "" -- verify --json --at 2100-01-01T00:00:00Z --collateral "$d" "$d/report.bin"
		rd=$(od -An -tx1 -j80 -N64 -v "$d/report.bin" | tr -d ' \n')
		expect "$n --report-data match" 0 '"report_data"' "" -- verify --at "$at" --report-data "$rd" --collateral "$d" "$d/report.bin"
		expect "$n --report-data mismatch" 1 "" "stage binding: snp: REPORT_DATA" -- verify --at "$at" --report-data "ff${rd:2}" --collateral "$d" "$d/report.bin"
		expect "$n inspect" 0 "^UNVERIFIED" "" -- inspect "$d/report.bin"
		expect "$n inspect --json" 0 '"verified": false' "" -- inspect --json "$d/report.bin"
		# stderr is exactly one line on rejection
		"$CUSTOS" verify --at 2100-01-01T00:00:00Z --collateral "$d" "$d/report.bin" >/dev/null 2>"$tmp/err"
		if [ "$(wc -l <"$tmp/err")" = 1 ]; then ok "$n rejection is one line"; else nok "$n rejection is one line"; fi
		# a bit flipped in the signed region is rejected
		cp "$d/report.bin" "$tmp/flip.bin"
		b=$(od -An -tu1 -j144 -N1 "$d/report.bin" | tr -d ' ')
		printf "\\$(printf %03o $((b ^ 1)))" | dd of="$tmp/flip.bin" bs=1 seek=144 conv=notrunc status=none
		cmp -s "$d/report.bin" "$tmp/flip.bin" && nok "$n: tampering did not change the file"
		expect "$n tampered measurement rejected" 1 "" "stage signature" -- verify --at "$at" --collateral "$d" "$tmp/flip.bin"
	done
fi

# The SNP certificate table (as SNP_GET_EXT_REPORT returns it) is collateral too.
src=${CUSTOS_SOURCE_ROOT:-}
if [ -n "$CORPUS" ] && [ -f "$CORPUS/sev-snp/gsg-milan-v2-debug/report.bin" ] && [ -n "$src" ]; then
	expect "certificate table as collateral" 0 '"signing_key": "vcek"' "" -- verify --at 2022-09-24T01:00:00Z \
		--collateral "$src/tests/fuzz/seeds/snp_certtable/gsg-milan-v2-debug.bin" \
		"$CORPUS/sev-snp/gsg-milan-v2-debug/report.bin"
	expect "truncated certificate table is an error" 2 "" "certificate table has no terminating entry" -- \
		verify --collateral "$src/tests/fuzz/seeds/snp_certtable/truncated.bin" \
		"$CORPUS/sev-snp/gsg-milan-v2-debug/report.bin"
fi

# ---- Appraisal: policies, reference values, signing keys, attestation results ----
# Nothing may touch the real ~/.config: the default key path lives under $tmp.
export HOME="$tmp/home"
unset XDG_CONFIG_HOME
mkdir -p "$HOME"
ap="$tmp/ap"
mkdir -p "$ap"

# check NAME COMMAND...: ok when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
# refute NAME FILE RE: FILE (the last stdout or stderr) must not match RE.
refute() {
	if grep -Eq -- "$3" "$2"; then
		nok "$1: /$3/ should not appear"; grep -E -- "$3" "$2" | head -3 | sed 's/^/    /'
	else
		ok "$1"
	fi
}
# jcheck NAME FILE PYTHON-EXPR: FILE is JSON (bound to d) and the expression holds.
jcheck() {
	if ! command -v python3 >/dev/null; then
		echo "# python3 not found: '$1' skipped"; return
	fi
	if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>"$tmp/pyerr"; then
		ok "$1"
	else
		nok "$1: JSON check failed: $3"; sed 's/^/    /' "$tmp/pyerr"; head -5 "$2" | sed 's/^/    /'
	fi
}
# t_add TIME SECONDS: an RFC 3339 time SECONDS later (earlier when negative).
t_add() { date -u -d "@$(($(date -u -d "$1" +%s) + $2))" +%Y-%m-%dT%H:%M:%SZ; }
jwt_re='^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'

# The measurement of the corpus sample gsg-milan-v2-debug.
M=b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01
EV=submods.cpu0.ear.veraison.annotated-evidence
cat >"$ap/release.json" <<EOF
{"version": 1, "kind": "release", "id": "release-prod", "revision": 3,
 "description": "release keys to production guests only",
 "allow": {"allOf": [
   {"claim": "submods.cpu0.ear.status", "equals": "affirming", "description": "appraised affirming"},
   {"claim": "$EV.tee", "equals": "sev-snp"},
   {"claim": "$EV.debug", "equals": false}]}}
EOF
# Satisfied by the debug corpus sample; names a reference-value set.
cat >"$ap/release-rv.json" <<EOF
{"version": 1, "kind": "release", "id": "release-golden",
 "allow": {"allOf": [
   {"claim": "submods.cpu0.ear.status", "equals": "affirming"},
   {"claim": "$EV.measurement", "in": {"refvalues": "golden-measurements"}}]}}
EOF
cat >"$ap/rv.json" <<EOF
{"version": 1, "sets": {"golden-measurements": {"values": ["$M"]}}}
EOF
cat >"$ap/rv-other.json" <<EOF
{"version": 1, "sets": {"other-set": {"values": ["00"]}}}
EOF
cat >"$ap/bad-op.json" <<EOF
{"version": 1, "kind": "release", "id": "bad-op",
 "allow": {"allOf": [{"claim": "$EV.debug", "equal": false}]}}
EOF
cat >"$ap/bad-operand.json" <<EOF
{"version": 1, "kind": "release", "id": "bad-operand",
 "allow": {"allOf": [{"claim": "$EV.tee", "equals": "sev-snp"},
                     {"anyOf": [{"claim": "$EV.snp.guest_svn", "greater": "5"}]}]}}
EOF
printf '{"version": 1, "kind": "release", "id": "cut",' >"$ap/unparsable.json"
: >"$ap/empty.json"
# Appraisal policies over verified evidence claims.
cat >"$ap/appraisal-strict.json" <<EOF
{"version": 1, "kind": "appraisal", "id": "snp-strict", "revision": 2,
 "trustworthiness": {
   "configuration": {"when": {"claim": "debug", "equals": false}, "pass": "approved", "fail": "unsafe"},
   "executables": {"when": {"claim": "measurement", "in": {"refvalues": "golden-measurements"}},
                   "pass": "approved_runtime", "fail": "contraindicated"},
   "hardware": {"when": {"claim": "tee", "equals": "sev-snp"}, "pass": "genuine", "fail": "unrecognized"}}}
EOF
cat >"$ap/appraisal-ok.json" <<EOF
{"version": 1, "kind": "appraisal", "id": "snp-ok",
 "trustworthiness": {
   "executables": {"when": {"claim": "measurement", "in": {"refvalues": "golden-measurements"}},
                   "pass": "approved_runtime", "fail": "contraindicated"},
   "hardware": {"when": {"claim": "tee", "equals": "sev-snp"}, "pass": "genuine", "fail": "unrecognized"}}}
EOF
# An attestation result's claims (as token verify prints them), and evidence claims.
ear_claims() { # STATUS DEBUG
	cat <<EOF
{"eat_profile": "tag:github.com,2023:veraison/ear", "iat": 1663981200, "exp": 1663981500, "iss": "custos",
 "submods": {"cpu0": {"ear.status": "$1", "ear.trustworthiness-vector": {"executables": 2},
   "ear.veraison.annotated-evidence": {"tee": "sev-snp", "debug": $2, "measurement": "$M"}}}}
EOF
}
ear_claims affirming false >"$ap/ear-good.json"
ear_claims affirming true >"$ap/ear-debug.json"
ear_claims warning false >"$ap/ear-warning.json"
printf '{"tee": "sev-snp", "verified": true, "debug": true, "measurement": "%s"}\n' "$M" >"$ap/claims-debug.json"

# policy check
expect "policy check: valid release policy" 0 "^ok: policy:release-prod@3;sha256=[0-9a-f]{64} \(release policy\)$" "" -- \
	policy check "$ap/release.json"
expect "policy check: unknown operator, with its JSON path" 1 "" '\$\.allow\.allOf\[0\]: unknown operator "equal" \(did you mean "equals"\?\)' -- \
	policy check "$ap/bad-op.json"
expect "policy check: wrong operand type, with its JSON path" 1 "" '\$\.allow\.allOf\[1\]\.anyOf\[0\]\.greater: greater: expected a number' -- \
	policy check "$ap/bad-operand.json"
expect "policy check: set named without --refvalues" 1 "" 'reference-value set "golden-measurements" but no reference values' -- \
	policy check "$ap/release-rv.json"
expect "policy check: set named, --refvalues given" 0 "^ok: policy:release-golden@1;sha256=" "" -- \
	policy check "$ap/release-rv.json" --refvalues "$ap/rv.json"
expect "policy check: set missing from --refvalues" 1 "" 'unknown reference-value set "golden-measurements" \(known: other-set\)' -- \
	policy check "$ap/release-rv.json" --refvalues "$ap/rv-other.json"
expect "policy check: appraisal policy" 0 "^ok: policy:snp-strict@2;sha256=[0-9a-f]{64} \(appraisal policy\)$" "" -- \
	policy check "$ap/appraisal-strict.json" --refvalues "$ap/rv.json"
expect "policy check: missing file" 2 "" "cannot open $ap/nope.json" -- policy check "$ap/nope.json"
expect "policy check: missing --refvalues file" 2 "" "$ap/nope.json" -- \
	policy check "$ap/release-rv.json" --refvalues "$ap/nope.json"
expect "policy check: empty file" 1 "" "empty.json: policy: empty document" -- policy check "$ap/empty.json"
expect "policy check: unparsable file" 1 "" "unparsable.json: policy:" -- policy check "$ap/unparsable.json"
expect "policy check: no file" 2 "" "missing POLICY" -- policy check
expect "policy: unknown subcommand" 2 "" "unknown policy command 'frob'" -- policy frob
expect "policy help" 0 "custos policy eval" "" -- policy help

# policy eval: a release policy over an attestation result's claims
expect "policy eval: ALLOW" 0 "^ALLOW  policy:release-prod@3;sha256=[0-9a-f]{64}$" "" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/ear-good.json"
refute "policy eval: ALLOW lists no failing clause" "$tmp/out" "Failing clauses"
expect "policy eval: DENY" 1 "^DENY  policy:release-prod@3;sha256=" "" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/ear-debug.json"
check "policy eval: DENY lists the failing clauses first" [ "$(sed -n 2p "$tmp/out")" = "Failing clauses:" ]
check "policy eval: DENY names the failing clause" grep -Eq "FAIL  \\\$\.allow\.allOf\[2\]  $EV\.debug equals" "$tmp/out"
check "policy eval: DENY shows expected, actual and reason" \
	grep -Pzq '        expected: false\n        actual:   true\n        reason:   value differs\n' "$tmp/out"
refute "policy eval: DENY without --explain hides passing clauses" "$tmp/out" "PASS|Every clause evaluated"
check "policy eval: DENY points to --explain" grep -q -- "--explain shows every clause" "$tmp/out"
expect "policy eval --explain" 1 "^Every clause evaluated:$" "" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/ear-debug.json" --explain
check "policy eval --explain: failing clauses before every clause" \
	[ "$(grep -n '^Failing clauses:$' "$tmp/out" | cut -d: -f1)" -lt "$(grep -n '^Every clause evaluated:$' "$tmp/out" | cut -d: -f1)" ]
check "policy eval --explain: passing clauses and descriptions" \
	grep -Eq 'PASS  \$\.allow\.allOf\[0\]  submods\.cpu0\.ear\.status equals  \(appraised affirming\)' "$tmp/out"
expect "policy eval --json: deny" 1 '"decision": "deny"' "" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/ear-debug.json" --json
jcheck "policy eval --json: decision and trace" "$tmp/out" \
	'd["decision"] == "deny" and d["policy"].startswith("policy:release-prod@3;sha256=") and len(d["trace"]) == 4 and [e["path"] for e in d["trace"] if e["result"] == "fail"] == ["$.allow", "$.allow.allOf[2]"] and d["trace"][3]["actual"] is True'
expect "policy eval --json: allow" 0 '"decision": "allow"' "" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/ear-good.json" --json
jcheck "policy eval --json: allow is JSON" "$tmp/out" 'd["decision"] == "allow" and all(e["result"] == "pass" for e in d["trace"])'
stdin="$ap/ear-good.json" expect "policy eval: claims from standard input, ALLOW" 0 "^ALLOW  " "" -- \
	policy eval --policy "$ap/release.json" --claims -
stdin="$ap/ear-debug.json" expect "policy eval: claims from standard input, DENY" 1 "^DENY  " "" -- \
	policy eval --policy "$ap/release.json" --claims -
expect "policy eval: unparsable policy denies" 1 "^DENY  policy not loaded: .*unparsable.json" "" -- \
	policy eval --policy "$ap/unparsable.json" --claims "$ap/ear-good.json"
expect "policy eval: invalid policy denies with its path" 1 '^DENY  policy not loaded: .*\$\.allow\.allOf\[0\]' "" -- \
	policy eval --policy "$ap/bad-op.json" --claims "$ap/ear-good.json"
expect "policy eval --json: unloaded policy denies" 1 '"decision": "deny"' "" -- \
	policy eval --policy "$ap/unparsable.json" --claims "$ap/ear-good.json" --json
jcheck "policy eval --json: unloaded policy names the error" "$tmp/out" 'd["decision"] == "deny" and "unparsable.json" in d["error"]'
expect "policy eval: set named without --refvalues denies" 1 '^DENY  policy not loaded: .*"golden-measurements"' "" -- \
	policy eval --policy "$ap/release-rv.json" --claims "$ap/ear-good.json"
expect "policy eval: with --refvalues" 0 "^ALLOW  policy:release-golden@1" "" -- \
	policy eval --policy "$ap/release-rv.json" --refvalues "$ap/rv.json" --claims "$ap/ear-good.json"
expect "policy eval: status warning denies" 1 "^DENY  " "" -- \
	policy eval --policy "$ap/release-rv.json" --refvalues "$ap/rv.json" --claims "$ap/ear-warning.json"
check "policy eval: status warning is the failing clause" grep -Eq 'actual:   "warning"' "$tmp/out"
printf '{"truncated": ' >"$ap/claims-cut.json"
expect "policy eval: unparsable claims" 2 "" "claims-cut.json" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/claims-cut.json"
expect "policy eval: missing claims file" 2 "" "cannot open $ap/nope.json" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/nope.json"
expect "policy eval: --claims required" 2 "" "--policy and --claims are required" -- policy eval --policy "$ap/release.json"
expect "policy eval: positional file refused" 2 "" "use --policy and --claims" -- \
	policy eval "$ap/release.json" --claims "$ap/ear-good.json"
expect "policy eval: bad --at" 2 "" "--at: 'soon' is not an RFC 3339 time" -- \
	policy eval --policy "$ap/release.json" --claims "$ap/ear-good.json" --at soon

# policy eval: an appraisal policy over evidence claims
expect "policy eval: appraisal, not affirming" 1 "^warning  policy:snp-strict@2;sha256=" "" -- \
	policy eval --policy "$ap/appraisal-strict.json" --refvalues "$ap/rv.json" --claims "$ap/claims-debug.json"
check "policy eval: appraisal prints the trustworthiness vector" grep -q "^Trustworthiness vector:$" "$tmp/out"
check "policy eval: appraisal vector values and tiers" \
	grep -Pzq '  configuration +32 \(warning\)\n  executables +2 \(affirming\)\n  hardware +2 \(affirming\)\n' "$tmp/out"
check "policy eval: appraisal failing clause" grep -Eq 'FAIL  \$\.trustworthiness\.configuration\.when  debug equals' "$tmp/out"
expect "policy eval: appraisal, affirming" 0 "^affirming  policy:snp-ok@1;sha256=" "" -- \
	policy eval --policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --claims "$ap/claims-debug.json"
check "policy eval: affirming appraisal prints the vector" grep -q "^Trustworthiness vector:$" "$tmp/out"
expect "policy eval --json: appraisal" 1 '"decision": "warning"' "" -- \
	policy eval --policy "$ap/appraisal-strict.json" --refvalues "$ap/rv.json" --claims "$ap/claims-debug.json" --json
jcheck "policy eval --json: appraisal vector" "$tmp/out" \
	'd["trustworthiness-vector"] == {"configuration": 32, "executables": 2, "hardware": 2} and d["trace"][0]["op"] == "rule"'

# A rollout window: the sample's measurement is accepted until T, its successor from T - 1 day.
T=2030-01-01T00:00:00Z
cat >"$ap/rv-rollout.json" <<EOF
{"version": 1, "sets": {"golden-measurements": {"values": [
  {"value": "$M", "not_after": "$T", "description": "old image, withdrawn at T"},
  {"value": "$(printf '%096d' 1)", "not_before": "$(t_add $T -86400)", "description": "new image"}]}}}
EOF
expect "rollout: appraisal affirming at T - 1 s" 0 "^affirming  " "" -- policy eval --policy "$ap/appraisal-ok.json" \
	--refvalues "$ap/rv-rollout.json" --claims "$ap/claims-debug.json" --at "$(t_add $T -1)"
expect "rollout: appraisal not affirming at T" 1 "^contraindicated  " "" -- policy eval --policy "$ap/appraisal-ok.json" \
	--refvalues "$ap/rv-rollout.json" --claims "$ap/claims-debug.json" --at "$T"
check "rollout: executables contraindicated at T" grep -Eq '^  executables +96 \(contraindicated\)$' "$tmp/out"
check "rollout: the explanation shows the values in effect" grep -Fq "\"active\":[\"$(printf '%096d' 1)\"]" "$tmp/out"
expect "rollout: release ALLOW at T - 1 s" 0 "^ALLOW  " "" -- policy eval --policy "$ap/release-rv.json" \
	--refvalues "$ap/rv-rollout.json" --claims "$ap/ear-good.json" --at "$(t_add $T -1)"
expect "rollout: release DENY at T" 1 "^DENY  " "" -- policy eval --policy "$ap/release-rv.json" \
	--refvalues "$ap/rv-rollout.json" --claims "$ap/ear-good.json" --at "$T"
check "rollout: DENY says the value is not in effect" grep -q 'not among the 1 values of set "golden-measurements" in effect' "$tmp/out"
sed "s/$M/$(printf '%096d' 1)/" "$ap/ear-good.json" >"$ap/ear-new.json"
expect "rollout: new measurement denied before its not_before" 1 "^DENY  " "" -- policy eval --policy "$ap/release-rv.json" \
	--refvalues "$ap/rv-rollout.json" --claims "$ap/ear-new.json" --at "$(t_add $T -86401)"
expect "rollout: new measurement allowed from its not_before" 0 "^ALLOW  " "" -- policy eval --policy "$ap/release-rv.json" \
	--refvalues "$ap/rv-rollout.json" --claims "$ap/ear-new.json" --at "$(t_add $T -86400)"

# A decision made by a `not`, or by a condition's time window, must still be explained.
cat >"$ap/release-not.json" <<EOF
{"version": 1, "kind": "release", "id": "no-debug",
 "allow": {"allOf": [{"claim": "submods.cpu0.ear.status", "equals": "affirming"},
                     {"not": {"claim": "$EV.debug", "equals": true}}]}}
EOF
expect "policy eval: not denies" 1 "^DENY  " "" -- policy eval --policy "$ap/release-not.json" --claims "$ap/ear-debug.json"
check "policy eval: a DENY by not lists the negated condition as failing" \
	grep -Pzq 'Failing clauses:\n  FAIL  \$\.allow\.allOf\[1\]' "$tmp/out"
cat >"$ap/release-window.json" <<EOF
{"version": 1, "kind": "release", "id": "window",
 "allow": {"allOf": [{"claim": "submods.cpu0.ear.status", "equals": "affirming", "notAfter": "$T"}]}}
EOF
expect "policy eval: clause in effect before notAfter" 0 "^ALLOW  " "" -- \
	policy eval --policy "$ap/release-window.json" --claims "$ap/ear-good.json" --at "$(t_add $T -1)"
expect "policy eval: clause out of effect at notAfter" 1 "^DENY  " "" -- \
	policy eval --policy "$ap/release-window.json" --claims "$ap/ear-good.json" --at "$T"
check "policy eval: the expired clause is explained" grep -q "no longer in effect since $T (notAfter)" "$tmp/out"
check "policy eval: the expired clause names its claim" grep -Eq 'FAIL  \$\.allow\.allOf\[0\]  submods\.cpu0\.ear\.status equals' "$tmp/out"
cat >"$ap/release-window-all.json" <<EOF
{"version": 1, "kind": "release", "id": "window-all",
 "allow": {"allOf": [{"claim": "submods.cpu0.ear.status", "equals": "affirming"}], "notAfter": "$T"}}
EOF
expect "policy eval: allOf out of effect at notAfter" 1 "^DENY  " "" -- \
	policy eval --policy "$ap/release-window-all.json" --claims "$ap/ear-good.json" --at "$T"
check "policy eval: an expired allOf is explained" grep -q "no longer in effect since $T (notAfter)" "$tmp/out"

# policy import-azure: the Microsoft CVM example
cat >"$ap/azure-cvm.json" <<'EOF'
{"version":"1.0.0","anyOf":[{"authority":"https://sharedweu.weu.attest.azure.net","allOf":[{"claim":"x-ms-isolation-tee.x-ms-attestation-type","equals":"sevsnpvm"},{"claim":"x-ms-isolation-tee.x-ms-compliance-status","equals":"azure-compliant-cvm"}]}]}
EOF
expect "import-azure: CVM example" 0 '"kind": "release"' 'warning: .*authority "https://sharedweu\.weu\.attest\.azure\.net" dropped' -- \
	policy import-azure "$ap/azure-cvm.json" --id cvm-skr
cp "$tmp/out" "$ap/imported.json"
check "import-azure: compliance status mapping is reported" grep -q 'azure-compliant-cvm" mapped to ear.status "affirming"' "$tmp/err"
jcheck "import-azure: claims mapped" "$ap/imported.json" \
	'd["id"] == "cvm-skr" and d["allow"]["anyOf"][0]["allOf"] == [{"claim": "'"$EV"'.tee", "equals": "sev-snp"}, {"claim": "submods.cpu0.ear.status", "equals": "affirming"}]'
expect "import-azure: output passes policy check" 0 "^ok: policy:cvm-skr@1;sha256=[0-9a-f]{64} \(release policy\)$" "" -- \
	policy check "$ap/imported.json"
expect "import-azure: imported policy allows an affirming SNP result" 0 "^ALLOW  policy:cvm-skr@1" "" -- \
	policy eval --policy "$ap/imported.json" --claims "$ap/ear-good.json"
expect "import-azure: imported policy denies a warning result" 1 "^DENY  policy:cvm-skr@1" "" -- \
	policy eval --policy "$ap/imported.json" --claims "$ap/ear-warning.json"
expect "import-azure: default id" 0 '"id": "azure-import"' "" -- policy import-azure "$ap/azure-cvm.json"
stdin="$ap/azure-cvm.json" expect "import-azure: from standard input" 0 '"id": "cvm-skr"' "" -- \
	policy import-azure - --id cvm-skr
sed 's/"1\.0\.0"/"2.0.0"/' "$ap/azure-cvm.json" >"$ap/azure-v2.json"
expect "import-azure: version 2.0.0 refused" 1 "" 'only release-policy grammar "1.0.0" is supported' -- \
	policy import-azure "$ap/azure-v2.json"
sed 's/x-ms-compliance-status/x-ms-runtime.vm-configuration.secure-boot/' "$ap/azure-cvm.json" >"$ap/azure-unmapped.json"
expect "import-azure: unmapped claim kept and reported" 0 '"claim": "x-ms-isolation-tee\.x-ms-runtime' 'no Custos equivalent' -- \
	policy import-azure "$ap/azure-unmapped.json"
expect "import-azure: missing file" 2 "" "cannot open $ap/nope.json" -- policy import-azure "$ap/nope.json"
expect "import-azure: no file" 2 "" "missing FILE" -- policy import-azure

# token keygen / rotate / jwks
keys="$tmp/keys"
mkdir -p "$keys"
expect "token keygen" 0 '^[A-Za-z0-9_-]{43}$' "created signing key $keys/k\.json \(ES256, kid " -- token keygen --key "$keys/k.json"
kid1=$(cat "$tmp/out")
check "token keygen: key file is 0600" [ "$(stat -c %a "$keys/k.json")" = 600 ]
expect "token keygen: refuses an existing key" 1 "" "already exists" -- token keygen --key "$keys/k.json"
expect "token jwks" 0 "\"kid\": \"$kid1\"" "" -- token jwks --key "$keys/k.json"
refute "token jwks: no private key" "$tmp/out" '"d"'
jcheck "token jwks: one public ES256 key" "$tmp/out" \
	'[(k["kid"], k["kty"], k["crv"], k["alg"]) for k in d["keys"]] == [("'"$kid1"'", "EC", "P-256", "ES256")] and all("d" not in k for k in d["keys"])'
expect "token keygen --alg EdDSA" 0 "" "\(EdDSA, kid " -- token keygen --key "$keys/ed.json" --alg EdDSA
expect "token jwks: EdDSA" 0 '"crv": "Ed25519"' "" -- token jwks --key "$keys/ed.json"
refute "token jwks: EdDSA without private key" "$tmp/out" '"d"'
expect "token keygen --alg ES384" 0 "" "\(ES384, kid " -- token keygen --key "$keys/p384.json" --alg ES384
expect "token jwks: ES384" 0 '"crv": "P-384"' "" -- token jwks --key "$keys/p384.json"
refute "token jwks: ES384 without private key" "$tmp/out" '"d"'
expect "token keygen: bad --alg" 2 "" "--alg: 'RS256' is not one of ES256, ES384, EdDSA" -- \
	token keygen --key "$keys/bad.json" --alg RS256
check "token keygen: bad --alg creates no key" [ ! -e "$keys/bad.json" ]
expect "token rotate" 0 "" "rotated: new ES256 key" -- token rotate --key "$keys/k.json"
check "token rotate: key file stays 0600" [ "$(stat -c %a "$keys/k.json")" = 600 ]
expect "token jwks after rotate" 0 "\"kid\": \"$kid1\"" "" -- token jwks --key "$keys/k.json"
jcheck "token jwks after rotate: current and previous" "$tmp/out" \
	'len(d["keys"]) == 2 and d["keys"][1]["kid"] == "'"$kid1"'" and d["keys"][0]["kid"] != "'"$kid1"'" and all("d" not in k for k in d["keys"])'
expect "token rotate --alg EdDSA" 0 "" "rotated: new EdDSA key" -- token rotate --key "$keys/k.json" --alg EdDSA
"$CUSTOS" token jwks --key "$keys/k.json" >"$tmp/out" 2>/dev/null
jcheck "token jwks after two rotations: oldest dropped" "$tmp/out" \
	'len(d["keys"]) == 2 and [k["kty"] for k in d["keys"]] == ["OKP", "EC"] and "'"$kid1"'" not in [k["kid"] for k in d["keys"]]'
expect "token rotate: bad --alg" 2 "" "--alg: 'HS256'" -- token rotate --key "$keys/k.json" --alg HS256
expect "token rotate: bad --alg on a new path" 2 "" "--alg: 'HS256'" -- token rotate --key "$keys/new.json" --alg HS256
check "token rotate: a usage error creates no key" [ ! -e "$keys/new.json" ]
expect "token jwks: --alg refused" 2 "" "--alg does not apply" -- token jwks --key "$keys/k.json" --alg ES256
chmod 0644 "$keys/p384.json"
expect "token jwks: key readable by others refused" 1 "" "chmod 600" -- token jwks --key "$keys/p384.json"
chmod 0600 "$keys/p384.json"
(umask 000; "$CUSTOS" token keygen --key "$keys/umask.json" >/dev/null 2>&1)
check "token keygen: 0600 whatever the umask" [ "$(stat -c %a "$keys/umask.json")" = 600 ]
expect "token keygen: default key path" 0 '^[A-Za-z0-9_-]{43}$' "created signing key $HOME/\.config/custos/ear-signing-key\.json" -- token keygen
check "token keygen: default key path is private" \
	[ "$(stat -c %a "$HOME/.config/custos" "$HOME/.config/custos/ear-signing-key.json" | tr '\n' ' ')" = "700 600 " ]
XDG_CONFIG_HOME="$tmp/xdg" expect "token keygen: XDG_CONFIG_HOME" 0 "" "created signing key $tmp/xdg/custos/ear-signing-key\.json" -- token keygen
expect "token: unknown subcommand" 2 "" "unknown token command 'frob'" -- token frob
expect "token verify: --jwks required" 2 "" "--jwks FILE is required" -- token verify x.y.z
expect "token verify: TOKEN required" 2 "" "missing TOKEN" -- token verify --jwks "$keys/k.json"

# The whole flow on the real corpus sample: evidence -> appraisal -> signed EAR -> relying party.
snp="$CORPUS/sev-snp/gsg-milan-v2-debug"
if [ -z "$CORPUS" ] || [ ! -f "$snp/report.bin" ]; then
	if [ "${CI:-}" = true ]; then
		nok "corpus sample '$snp' missing under CI=true"
	else
		echo "# corpus sample not found at '$snp': appraisal flow tests skipped"
	fi
else
	at=$(sed -n 's/^  "verify_at": "\(.*\)",$/\1/p' "$snp/sample.json")
	iat=$(date -u -d "$at" +%s)
	k="$tmp/flow/k.json"
	mkdir -p "$tmp/flow"
	V=(verify --at "$at" "$snp/report.bin" --collateral "$snp")

	# Status not affirming (debug=true against debug == false): exit 1, the EAR is still printed.
	expect "flow: appraisal not affirming" 1 "$jwt_re" "appraisal: warning under policy:snp-strict@2;sha256=" -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-strict.json" --refvalues "$ap/rv.json" --key "$k"
	check "flow: one line on standard output" [ "$(wc -l <"$tmp/out")" = 1 ]
	check "flow: created the key (0600)" [ "$(stat -c %a "$k")" = 600 ]
	cp "$tmp/out" "$tmp/flow/warning.jwt"
	expect "flow: appraisal affirming" 0 "$jwt_re" "appraisal: affirming under policy:snp-ok@1;sha256=" -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --key "$k"
	check "flow: affirming, one line on standard output" [ "$(wc -l <"$tmp/out")" = 1 ]
	cp "$tmp/out" "$tmp/flow/ok.jwt"
	"$CUSTOS" token jwks --key "$k" >"$tmp/flow/jwks.json" 2>/dev/null

	expect "flow: token verify" 0 '"submods"' "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	jcheck "flow: token claims" "$tmp/out" \
		'd["iat"] == '"$iat"' and d["exp"] == '"$iat"' + 300 and d["submods"]["cpu0"]["ear.status"] == "affirming" and d["submods"]["cpu0"]["ear.appraisal-policy-id"].startswith("policy:snp-ok@1;sha256=") and d["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["measurement"] == "'"$M"'" and d["submods"]["cpu0"]["ear.trustworthiness-vector"] == {"executables": 2, "hardware": 2}'
	expect "flow: warning token verifies" 0 '"ear.status": "warning"' "" -- \
		token verify "$tmp/flow/warning.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	expect "flow: token valid just before exp" 0 '"submods"' "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 299)"
	expect "flow: token expired at exp" 1 "" "expired" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 300)"
	expect "flow: token expired after 301 s" 1 "" "token rejected at stage token: .*expired" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 301)"
	expect "flow: token expired, --json error object" 1 '"stage": "token"' "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 301)" --json
	expect "flow: release policy DENY (debug)" 1 "^DENY  policy:release-prod@3" "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)" --policy "$ap/release.json"
	check "flow: release DENY names debug" grep -Eq "FAIL  \\\$\.allow\.allOf\[2\]  $EV\.debug equals" "$tmp/out"
	expect "flow: release policy ALLOW" 0 "^ALLOW  policy:release-golden@1" "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)" \
		--policy "$ap/release-rv.json" --refvalues "$ap/rv.json"
	expect "flow: release policy DENY on the warning token" 1 "^DENY  policy:release-golden@1" "" -- \
		token verify "$tmp/flow/warning.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)" \
		--policy "$ap/release-rv.json" --refvalues "$ap/rv.json"
	check "flow: release DENY names the status" grep -q 'actual:   "warning"' "$tmp/out"
	expect "flow: release policy --json" 0 '"decision": "allow"' "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)" \
		--policy "$ap/release-rv.json" --refvalues "$ap/rv.json" --json
	jcheck "flow: release policy --json is JSON" "$tmp/out" 'd["decision"] == "allow" and len(d["trace"]) == 3'
	expect "flow: release policy not loaded denies" 1 "^DENY  policy not loaded" "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)" --policy "$ap/unparsable.json"
	expect "flow: expired token is not evaluated" 1 "" "expired" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 301)" \
		--policy "$ap/release-rv.json" --refvalues "$ap/rv.json"
	refute "flow: expired token prints no ALLOW" "$tmp/out" "ALLOW"
	expect "flow: token as an argument" 0 '"submods"' "" -- \
		token verify "$(cat "$tmp/flow/ok.jwt")" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	stdin="$tmp/flow/ok.jwt" expect "flow: token from standard input" 0 '"submods"' "" -- \
		token verify - --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"

	# Tampering, a foreign issuer, and algorithm confusion.
	IFS=. read -r jh jp js <"$tmp/flow/ok.jwt"
	# flip S I: S with its character at I replaced by another base64url character
	flip() { local c=${1:$2:1}; [ "$c" = A ] && c=B || c=A; echo "${1:0:$2}$c${1:$(($2 + 1))}"; }
	echo "$jh.$(flip "$jp" 20).$js" >"$tmp/flow/tampered.jwt"
	cmp -s "$tmp/flow/ok.jwt" "$tmp/flow/tampered.jwt" && nok "flow: tampering did not change the token"
	expect "flow: tampered payload rejected" 1 "" "signature does not verify" -- \
		token verify "$tmp/flow/tampered.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	echo "$jh.$jp.$(flip "$js" 10)" >"$tmp/flow/badsig.jwt"
	cmp -s "$tmp/flow/ok.jwt" "$tmp/flow/badsig.jwt" && nok "flow: tampering did not change the signature"
	expect "flow: tampered signature rejected" 1 "" "signature does not verify" -- \
		token verify "$tmp/flow/badsig.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	expect "flow: two segments rejected" 1 "" "compact JWS" -- \
		token verify "$jh.$jp" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	"$CUSTOS" token keygen --key "$tmp/flow/other.json" >/dev/null 2>&1
	"$CUSTOS" token jwks --key "$tmp/flow/other.json" >"$tmp/flow/jwks-other.json" 2>/dev/null
	expect "flow: JWKS of another key rejected" 1 "" "no key with kid" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks-other.json" --at "$(t_add "$at" 60)"
	if command -v python3 >/dev/null; then
		b64u() { python3 -c 'import base64, sys; print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode().rstrip("="))'; }
		kid=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["keys"][0]["kid"])' "$tmp/flow/jwks.json")
		none=$(printf '{"alg":"none","kid":"%s","typ":"JWT"}' "$kid" | b64u)
		expect "flow: alg none refused" 1 "" 'alg "none" refused' -- \
			token verify "$none.$jp." --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
		hs=$(printf '{"alg":"ES384","kid":"%s","typ":"JWT"}' "$kid" | b64u)
		expect "flow: header alg other than the key's refused" 1 "" 'alg "ES384" refused' -- \
			token verify "$hs.$jp.$js" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	fi

	# --explain goes to standard error; the token alone to standard output.
	expect "flow: --explain" 1 "$jwt_re" "Every clause evaluated:" -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-strict.json" --refvalues "$ap/rv.json" --key "$k" --explain
	check "flow: --explain keeps standard output to the token" [ "$(wc -l <"$tmp/out")" = 1 ]
	refute "flow: --explain writes nothing else on standard output" "$tmp/out" "clause|appraisal"
	check "flow: --explain lists the failing clause on standard error" \
		grep -Eq 'FAIL  \$\.trustworthiness\.configuration\.when  debug equals' "$tmp/err"

	# Options of the result.
	expect "flow: --nonce" 0 "$jwt_re" "" -- "${V[@]}" --appraise --policy "$ap/appraisal-ok.json" \
		--refvalues "$ap/rv.json" --key "$k" --nonce 0102030405060708
	cp "$tmp/out" "$tmp/flow/nonce.jwt"
	expect "flow: --nonce carried as eat_nonce" 0 '"eat_nonce": "AQIDBAUGBwg"' "" -- \
		token verify "$tmp/flow/nonce.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	expect "flow: --lifetime 3600" 0 "$jwt_re" "" -- "${V[@]}" --appraise --policy "$ap/appraisal-ok.json" \
		--refvalues "$ap/rv.json" --key "$k" --lifetime 3600
	cp "$tmp/out" "$tmp/flow/long.jwt"
	expect "flow: --lifetime token valid after 301 s" 0 '"submods"' "" -- \
		token verify "$tmp/flow/long.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 301)"
	expect "flow: EdDSA key" 0 "$jwt_re" "created signing key .*\(EdDSA" -- "${V[@]}" --appraise \
		--policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --key "$tmp/flow/ed.json" --alg EdDSA
	cp "$tmp/out" "$tmp/flow/ed.jwt"
	"$CUSTOS" token jwks --key "$tmp/flow/ed.json" >"$tmp/flow/jwks-ed.json" 2>/dev/null
	expect "flow: EdDSA token verifies" 0 '"submods"' "" -- \
		token verify "$tmp/flow/ed.jwt" --jwks "$tmp/flow/jwks-ed.json" --at "$(t_add "$at" 60)"
	expect "flow: EdDSA token not under the ES256 JWKS" 1 "" "no key with kid" -- \
		token verify "$tmp/flow/ed.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	expect "flow: default key path" 0 "$jwt_re" "appraisal: affirming" -- "${V[@]}" --appraise \
		--policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json"
	check "flow: default key used" [ -f "$HOME/.config/custos/ear-signing-key.json" ]

	# The rollout window on verified evidence: the measurement is accepted until verify_at.
	sed "s/\"$T\"/\"$at\"/" "$ap/rv-rollout.json" >"$tmp/flow/rv-until.json"
	expect "flow: rollout affirming at verify_at - 1 s" 0 "$jwt_re" "appraisal: affirming" -- \
		verify --at "$(t_add "$at" -1)" "$snp/report.bin" --collateral "$snp" --appraise \
		--policy "$ap/appraisal-ok.json" --refvalues "$tmp/flow/rv-until.json" --key "$k"
	expect "flow: rollout withdrawn at verify_at" 1 "$jwt_re" "appraisal: contraindicated" -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-ok.json" --refvalues "$tmp/flow/rv-until.json" --key "$k"

	# Rotation: tokens signed by the previous key keep verifying; two rotations drop it.
	expect "flow: rotate" 0 "" "rotated" -- token rotate --key "$k"
	"$CUSTOS" token jwks --key "$k" >"$tmp/flow/jwks2.json" 2>/dev/null
	expect "flow: old token verifies after rotate" 0 '"submods"' "" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks2.json" --at "$(t_add "$at" 60)"
	expect "flow: new token after rotate" 0 "$jwt_re" "" -- "${V[@]}" --appraise \
		--policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --key "$k"
	cp "$tmp/out" "$tmp/flow/new.jwt"
	expect "flow: new token verifies with the new JWKS" 0 '"submods"' "" -- \
		token verify "$tmp/flow/new.jwt" --jwks "$tmp/flow/jwks2.json" --at "$(t_add "$at" 60)"
	expect "flow: new token not under the old JWKS" 1 "" "no key with kid" -- \
		token verify "$tmp/flow/new.jwt" --jwks "$tmp/flow/jwks.json" --at "$(t_add "$at" 60)"
	"$CUSTOS" token rotate --key "$k" >/dev/null 2>&1
	"$CUSTOS" token jwks --key "$k" >"$tmp/flow/jwks3.json" 2>/dev/null
	expect "flow: second rotation drops the oldest key" 1 "" "no key with kid" -- \
		token verify "$tmp/flow/ok.jwt" --jwks "$tmp/flow/jwks3.json" --at "$(t_add "$at" 60)"

	# Usage errors, none of which signs anything or creates a key.
	u="$tmp/flow/usage-key.json"
	expect "flow: --policy without --appraise" 2 "" "need --appraise" -- "${V[@]}" --policy "$ap/appraisal-ok.json"
	expect "flow: --key without --appraise" 2 "" "need --appraise" -- "${V[@]}" --key "$u"
	expect "flow: --appraise without --policy" 2 "" "--appraise needs --policy" -- "${V[@]}" --appraise --key "$u"
	expect "flow: --appraise with a release policy" 2 "" "is a release policy" -- \
		"${V[@]}" --appraise --policy "$ap/release.json" --key "$u"
	expect "flow: --nonce of 4 bytes" 2 "" "--nonce: '01020304' is not hex of 8 to 64 bytes" -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --key "$u" --nonce 01020304
	expect "flow: --lifetime 0" 2 "" "--lifetime" -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --key "$u" --lifetime 0
	expect "flow: --alg unknown" 2 "" "--alg: 'RS256'" -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --key "$u" --alg RS256
	expect "flow: policy set without --refvalues" 2 "" '"golden-measurements"' -- \
		"${V[@]}" --appraise --policy "$ap/appraisal-ok.json" --key "$u"
	check "flow: usage errors create no key" [ ! -e "$u" ]
	# Evidence that fails verification is never appraised.
	expect "flow: rejected evidence signs nothing" 1 "" "stage collateral" -- \
		verify --at "$at" "$snp/report.bin" --appraise --policy "$ap/appraisal-ok.json" --refvalues "$ap/rv.json" --key "$u"
	check "flow: rejected evidence, no token" [ ! -s "$tmp/out" ]
	check "flow: rejected evidence, no key" [ ! -e "$u" ]
fi

# Intel TDX and SGX quotes.
if [ -n "$CORPUS" ] && [ -d "$CORPUS/tdx" ]; then
	tdx="$CORPUS/tdx/dcap-qvl-tdx-v4-uptodate"
	sgx="$CORPUS/sgx/dcap-qvl-sgx-v3-config-swhardening"
	expect "tdx: verifies" 0 '"tcb_status": "UpToDate"' "" -- \
		verify --at 2025-07-01T00:00:00Z --collateral "$tdx" "$tdx/quote.bin"
	expect "tdx: detected and named" 0 '"tee": "tdx"' "" -- \
		verify --tee tdx --at 2025-07-01T00:00:00Z --collateral "$tdx" "$tdx/quote.bin"
	expect "tdx: dcap-qvl bundle alone" 0 '"mr_td": "91eb2b44' "" -- \
		verify --at 2025-07-01T00:00:00Z --collateral "$tdx/collateral.json" "$tdx/quote.bin"
	expect "tdx: collateral expired" 1 "" "stage pck-chain: .*CRL has expired" -- \
		verify --at 2025-08-01T00:00:00Z --collateral "$tdx" "$tdx/quote.bin"
	expect "tdx: no collateral" 1 "" "stage pck-chain: dcap: PCK chain: no CRL covers" -- \
		verify --at 2025-07-01T00:00:00Z "$tdx/quote.bin"
	expect "tdx: --json error" 1 '"stage": "tcb-info"' "" -- \
		verify --json --at 2025-07-01T00:00:00Z --collateral "$tdx/pck_crl.der" \
		--collateral "$tdx/root_ca_crl.der" --collateral "$tdx/pck_crl_issuer_chain.pem" "$tdx/quote.bin"
	expect "tdx: wrong --report-data" 1 "" "stage binding: tdx: REPORTDATA" -- \
		verify --at 2025-07-01T00:00:00Z --collateral "$tdx" --report-data 00 "$tdx/quote.bin"
	expect "tdx: --tee sgx on a TDX quote" 1 "" "stage parse: dcap: this is a tdx quote, not sgx" -- \
		verify --tee sgx --at 2025-07-01T00:00:00Z --collateral "$tdx" "$tdx/quote.bin"
	expect "tdx: inspect" 0 'tdx\.rtmr0 +"44c0197b' "" -- inspect "$tdx/quote.bin"
	expect "sgx: verifies with its advisories" 0 'INTEL-SA-00615' "" -- \
		verify --at 2025-07-01T00:00:00Z --collateral "$sgx" "$sgx/quote.bin"
	expect "sgx: an event log is refused" 2 "" "SGX quotes measure no boot" -- \
		verify --at 2025-07-01T00:00:00Z --collateral "$sgx" --eventlog "$sgx/quote.bin" "$sgx/quote.bin"
	# collateral fetch from a PCCS on loopback with recorded replies
	start_pccs() {
		rm -f "$tmp/pccs.port" "$tmp/pccs.log"
		python3 "$(dirname "$0")/pccs_server.py" "$tdx" "$tmp/pccs.port" "$tmp/pccs.log" "$@" &
		pccs_pid=$!
		for _ in $(seq 50); do [ -s "$tmp/pccs.port" ] && break; sleep 0.1; done
		pccs="http://127.0.0.1:$(cat "$tmp/pccs.port")"
	}
	start_pccs
	expect "fetch: writes a quote's collateral" 0 "" "collateral for .* written to $tmp/cache" -- \
		collateral fetch --url "$pccs" --out "$tmp/cache" "$tdx/quote.bin"
	check "fetch: TCB info keyed by TEE and FMSPC" [ -s "$tmp/cache/tdx-b0c06f000000/tcb_info.json" ]
	check "fetch: root CA CRL stored as DER" \
		sh -c "openssl crl -inform DER -in '$tmp/cache/root_ca_crl.der' -noout"
	expect "fetch: the cache verifies offline" 0 '"tcb_status": "UpToDate"' "" -- \
		verify --at 2025-07-01T00:00:00Z --collateral "$tmp/cache" "$tdx/quote.bin"
	expect "fetch: verify --fetch fills an empty cache" 0 '"tcb_status": "UpToDate"' "fetching collateral from" -- \
		verify --at 2025-07-01T00:00:00Z --fetch "$pccs" --collateral-cache "$tmp/cache2" "$tdx/quote.bin"
	n_before=$(wc -l <"$tmp/pccs.log")
	expect "fetch: a warm cache asks nothing" 0 '"tcb_status": "UpToDate"' "" -- \
		verify --at 2025-07-01T00:00:00Z --fetch "$pccs" --collateral-cache "$tmp/cache2" "$tdx/quote.bin"
	check "fetch: no request for a warm cache" [ "$(wc -l <"$tmp/pccs.log")" = "$n_before" ]
	expect "fetch: --collateral-cache without --fetch" 2 "" "needs --fetch" -- \
		verify --collateral-cache "$tmp/cache2" "$tdx/quote.bin"
	expect "fetch: an SGX quote of another FMSPC is refused by the server" 1 "" "HTTP status 404" -- \
		collateral fetch --url "$pccs" --out "$tmp/cache3" "$sgx/quote.bin"
	kill "$pccs_pid"
	start_pccs garbage
	expect "fetch: a reply that is not collateral" 1 "" "tcb_info.json received is not collateral" -- \
		collateral fetch --url "$pccs" --out "$tmp/cache4" "$tdx/quote.bin"
	check "fetch: nothing written from a bad reply" [ ! -e "$tmp/cache4/tdx-b0c06f000000/tcb_info.json" ]
	kill "$pccs_pid"
	expect "fetch: server down" 1 "" "Couldn't connect|Could not connect" -- \
		collateral fetch --url "$pccs" --out "$tmp/cache4" "$tdx/quote.bin"
	expect "fetch: usage" 2 "" "--url URL --out DIR QUOTE are required" -- collateral fetch "$tdx/quote.bin"

	printf '{"tcbInfo": {' >"$tmp/broken.json"
	expect "dcap: broken collateral JSON named" 2 "" "--collateral $tmp/broken.json: collateral: invalid JSON" -- \
		verify --collateral "$tmp/broken.json" "$sgx/quote.bin"
fi

# AWS Nitro documents and Arm CCA tokens.
if [ -n "$CORPUS" ] && [ -d "$CORPUS/nitro" ] && [ -d "$CORPUS/cca" ]; then
	nd="$CORPUS/nitro/evervault-nondebug-2022"
	expect "nitro: verifies, detected" 0 '"tee": "nitro"' "" -- \
		verify --at 2022-10-13T09:00:00Z "$nd/attestation_doc.cbor"
	expect "nitro: the leaf has expired a day later" 1 "" "stage chain: .*expired" -- \
		verify --at 2022-10-14T09:00:00Z "$nd/attestation_doc.cbor"
	expect "nitro: in a TLS certificate" 0 '"carrier_certificate"' "" -- \
		verify --at 2023-01-18T15:15:14Z "$CORPUS/nitro/evervault-nondebug-in-tls-cert-2023/tls_cert.pem"
	expect "nitro: inspect" 0 'nitro\.pcr0 ' "" -- inspect "$nd/attestation_doc.cbor"
	cd_="$CORPUS/cca/rust-ccatoken-draft-ffm-00"
	expect "cca: verifies with the platform key" 0 '"tee": "cca"' "" -- \
		verify --collateral "$cd_/cpak_pub.json" "$cd_/token.cbor"
	expect "cca: without the platform key" 1 "" "stage platform-signature: cca: no platform attestation key" -- \
		verify "$cd_/token.cbor"
	expect "cca: a broken realm binding" 1 "" "stage realm-binding" -- \
		verify --collateral "$CORPUS/cca/rust-ccatoken-bug33-binding-failure/cpak_pub.pem" \
		"$CORPUS/cca/rust-ccatoken-bug33-binding-failure/token.cbor"
fi

# NVIDIA H100: a raw SPDM report with --cert, its VBIOS RIM, the nonce binding.
if [ -n "$CORPUS" ] && [ -d "$CORPUS/nvidia-gpu" ]; then
	gd="$CORPUS/nvidia-gpu/trustee-coco-ci-h100"
	expect "nvgpu: a raw report verifies with --cert, detected" 0 '"tee": "nvidia-gpu"' "" -- \
		verify --at 2025-06-01T00:00:00Z --cert "$gd/cert_chain.pem" "$gd/report.bin"
	expect "nvgpu: without its chain" 1 "" "stage chain: nvgpu: no device certificate chain" -- \
		verify --at 2025-06-01T00:00:00Z "$gd/report.bin"
	expect "nvgpu: the VBIOS RIM compares index by index" 0 '"result": "mismatch"' "" -- \
		verify --at 2025-06-01T00:00:00Z --cert "$gd/cert_chain.pem" \
		--collateral "$gd/vbios_rim_960074001A.swidtag" "$gd/report.bin"
	expect "nvgpu: the KBS digest, truncated to the SPDM nonce" 0 '"verified": true' "" -- \
		verify --at 2025-06-01T00:00:00Z --cert "$gd/cert_chain.pem" --report-data \
		87d8e24ab336adafe228d49e83d745f6dba4ae505372b6a5704820856b343fece279b616efefc2aae21da80cf5581250 \
		"$gd/report.bin"
	expect "nvgpu: another nonce" 1 "" "stage binding: nvgpu: the request nonce 87d8e24ab336adaf" -- \
		verify --at 2025-06-01T00:00:00Z --cert "$gd/cert_chain.pem" --report-data 00 "$gd/report.bin"
	sed 's/Hash0="b558/Hash0="c558/' "$gd/vbios_rim_960074001A.swidtag" >"$tmp/bad.swidtag"
	expect "nvgpu: a RIM changed after signing is refused" 2 "" "rim: the XML signature does not verify" -- \
		verify --at 2025-06-01T00:00:00Z --cert "$gd/cert_chain.pem" --collateral "$tmp/bad.swidtag" \
		"$gd/report.bin"
	expect "nvgpu: inspect" 0 'gpu\.driver_version +"580\.95\.05"' "" -- inspect "$gd/report.bin"
fi

if [ -n "$CORPUS" ] && [ -d "$CORPUS/tpm" ] && [ -d "$CORPUS/az-snp-vtpm" ]; then
	# TPM evidence assembled from the corpus's files, as docs/tpm.md describes it
	for s in gtt-gce-cos85-nonce9009 goatt-windows-gcp-shielded-vm; do
		python3 - "$CORPUS/tpm/$s" "$tmp/$s.json" <<'PY'
import base64, json, os, sys
d, out = sys.argv[1], sys.argv[2]
b = lambda f: base64.b64encode(open(os.path.join(d, f), "rb").read()).decode()
ev = {"ak_public": b("ak_pub.tpmt"), "eventlog": b("event_log.bin"), "quote": {}}
if os.path.exists(os.path.join(d, "ak_cert.der")):
    ev["ak_cert"] = b("ak_cert.der")
for bank in ("sha1", "sha256", "sha384"):
    q = f"quote_{bank}" if os.path.exists(os.path.join(d, f"quote_{bank}.attest")) else "quote"
    if os.path.exists(os.path.join(d, f"pcrs_{bank}.json")):
        ev["quote"][bank.upper()] = {"attest_body": b(q + ".attest"), "attest_sig": b(q + ".sig"),
                                     "pcrs": json.load(open(os.path.join(d, f"pcrs_{bank}.json")))}
json.dump(ev, open(out, "w"))
PY
	done
	gd="$CORPUS/tpm/gtt-gce-cos85-nonce9009"
	expect "tpm: verifies, detected, with its nonce" 0 '"trust": "certificate"' "" -- \
		verify --at 2025-01-01T00:00:00Z --report-data 9009 --collateral "$gd/gce_ek_root.der" \
		--collateral "$gd/gce_ek_intermediate_2.der" "$tmp/gtt-gce-cos85-nonce9009.json"
	expect "tpm: another nonce" 1 "" "stage binding: tpm: quote SHA(1|256|384): qualifying data" -- \
		verify --at 2025-01-01T00:00:00Z --report-data 9008 --collateral "$gd/gce_ek_root.der" \
		--collateral "$gd/gce_ek_intermediate_2.der" "$tmp/gtt-gce-cos85-nonce9009.json"
	expect "tpm: no AK root" 1 "" "stage ak-trust: tpm: the AK certificate cannot be checked" -- \
		verify --at 2025-01-01T00:00:00Z "$tmp/gtt-gce-cos85-nonce9009.json"
	expect "tpm: inspect shows the AK to pin" 0 "BEGIN PUBLIC KEY" "" -- \
		inspect --json "$tmp/goatt-windows-gcp-shielded-vm.json"
	"$CUSTOS" inspect --json "$tmp/goatt-windows-gcp-shielded-vm.json" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["tpm"]["ak"]["pem"], end="")' \
		>"$tmp/win-ak.pem"
	expect "tpm: a SHA-1 quote is refused" 1 "" "stage quote-signature: .*SHA-1.*INSECURE" -- \
		verify --collateral "$tmp/win-ak.pem" "$tmp/goatt-windows-gcp-shielded-vm.json"
	expect "tpm: --insecure-allow-sha1 accepts it, loudly" 0 '"tee": "tpm"' \
		"WARNING: INSECURE --insecure-allow-sha1" -- \
		verify --insecure-allow-sha1 --collateral "$tmp/win-ak.pem" \
		"$tmp/goatt-windows-gcp-shielded-vm.json"
	ad="$CORPUS/az-snp-vtpm/trustee-az-milan-v1-challenge"
	expect "az-snp-vtpm: verifies, detected" 0 '"tee": "az-snp-vtpm"' "" -- \
		verify --at 2025-06-01T00:00:00Z --report-data 6368616c6c656e6765 "$ad/evidence.json"
	expect "az-snp-vtpm: another nonce" 1 "" "stage binding" -- \
		verify --at 2025-06-01T00:00:00Z --report-data 6368616c6c656e6766 "$ad/evidence.json"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
