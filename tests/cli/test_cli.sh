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

# expect NAME RC [GREP_STDOUT] [GREP_STDERR] -- ARGS...
expect() {
	local name=$1 want=$2 out_re=$3 err_re=$4
	shift 5
	"$CUSTOS" "$@" >"$tmp/out" 2>"$tmp/err"
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

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
