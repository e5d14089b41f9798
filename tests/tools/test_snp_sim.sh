#!/usr/bin/env bash
# custos-snp-sim end to end: TEST PKIs and reports it makes, checked by the real
# verifier (custos verify --insecure-test-root), and its own usage errors.
set -u
SIM=${1:?usage: test_snp_sim.sh path/to/custos-snp-sim path/to/custos}
CUSTOS=${2:?usage: test_snp_sim.sh path/to/custos-snp-sim path/to/custos}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; }

# run NAME RC [GREP_STDOUT] [GREP_STDERR] -- PROGRAM ARGS...: exit code and output
run() {
	local name=$1 want=$2 out_re=$3 err_re=$4
	shift 5
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		nok "$name: exit $rc, expected $want"; sed 's/^/    /' "$tmp/err"; return 1
	fi
	if [ -n "$out_re" ] && ! grep -Eq -- "$out_re" "$tmp/out"; then
		nok "$name: stdout does not match /$out_re/"; head -5 "$tmp/out" | sed 's/^/    /'; return 1
	fi
	if [ -n "$err_re" ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
		nok "$name: stderr does not match /$err_re/"; sed 's/^/    /' "$tmp/err"; return 1
	fi
	ok "$name"
}

# check NAME COMMAND...: ok when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}

# jcheck NAME FILE PYTHON-EXPR: FILE is JSON (bound to d) and the expression holds.
jcheck() {
	if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$2" "$3"; then
		ok "$1"
	else
		nok "$1: $3"; head -c 2000 "$2" | sed 's/^/    /'
	fi
}

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is needed for the JSON checks"
	exit 77
fi

at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
zero64=$(printf '00%.0s' $(seq 64))
zero32=$(printf '00%.0s' $(seq 32))
pattern=$(python3 -c 'print("".join("%02x" % (0x40 + 3 * i) for i in range(48)))')

# verify NAME RC PKI REPORT [custos verify options...]: with PKI's ARK as INSECURE test root
verify() {
	local name=$1 want=$2 pki=$3 report=$4
	shift 4
	run "$name" "$want" "" "" -- "$CUSTOS" verify --insecure-test-root "$pki/ark.pem" \
		--collateral "$pki" --at "$at" "$@" "$report"
}

# ---- usage ----
run "help" 0 "custos-snp-sim init DIR" "" -- "$SIM" help
run "--help says INSECURE" 0 "INSECURE" "" -- "$SIM" --help
run "init --help" 0 "--product" "" -- "$SIM" init --help
run "report --help documents the default measurement" 0 "${pattern:0:64}" "" -- "$SIM" report --help
run "no arguments" 2 "" "Usage" -- "$SIM"
run "unknown command" 2 "" "unknown command 'frob'" -- "$SIM" frob
run "init without DIR" 2 "" "missing DIR" -- "$SIM" init
run "init with two DIRs" 2 "" "exactly one DIR" -- "$SIM" init "$tmp/a" "$tmp/b"
run "init --product bad" 2 "" "--product: 'epyc' is not milan, genoa or turin" -- "$SIM" init --product epyc "$tmp/x"
run "init unknown option" 2 "" "invalid option '--frob'" -- "$SIM" init --frob "$tmp/x"
run "init existing DIR refused" 2 "" "exists; refusing" -- "$SIM" init "$tmp"
check "refused init made nothing" test ! -e "$tmp/x"
run "init in a missing parent" 1 "" "cannot create $tmp/no/pki" -- "$SIM" init "$tmp/no/pki"
run "report without --pki" 2 "" "--pki DIR is required" -- "$SIM" report --out "$tmp/r.bin"
run "report --pki missing" 2 "" "--pki $tmp/none: .*pki.json" -- "$SIM" report --pki "$tmp/none" --out "$tmp/r.bin"
run "report option without argument" 2 "" "needs an argument" -- "$SIM" report --pki
run "report stray argument" 2 "" "unexpected argument 'extra'" -- "$SIM" report --pki "$tmp" extra

# ---- a PKI ----
pki="$tmp/pki"
run "init" 0 "TEST PKI \(INSECURE\) for AMD Milan" "" -- "$SIM" init "$pki"
for f in ark.pem ask.pem vcek.pem ark.key ask.key vcek.key pki.json; do
	check "init wrote $f" test -s "$pki/$f"
done
for k in ark ask vcek; do
	check "$k.key is mode 0600" test "$(stat -c %a "$pki/$k.key")" = 600
	check "$k.key is PKCS#8 PEM" grep -q "^-----BEGIN PRIVATE KEY-----" "$pki/$k.key"
done
jcheck "pki.json names the product and says INSECURE" "$pki/pki.json" \
	'd["product"] == "milan" and "INSECURE" in d["warning"] and len(d["vcek"]["hwid"]) == 128'
run "init twice refused" 2 "" "exists" -- "$SIM" init "$pki"

for opt in "--report-data 0g" "--report-data $zero64"00 "--measurement 00" "--host-data $zero64" \
	"--vmpl 4" "--vmpl -1" "--vmpl x" "--version 4" "--frob"; do
	# shellcheck disable=SC2086
	run "report rejects $opt" 2 "" "Try 'custos-snp-sim help'" -- "$SIM" report --pki "$pki" $opt --out "$tmp/r.bin"
done

# ---- reports verified by custos ----
# Defaults, to standard output.
"$SIM" report --pki "$pki" >"$tmp/default.bin"
check "default report to standard output" test "$(stat -c %s "$tmp/default.bin")" = 1184
verify "default report verifies" 0 "$pki" "$tmp/default.bin"
cp "$tmp/out" "$tmp/default.json"
check "custos warns about the test root" grep -q "INSECURE test root" "$tmp/err"
jcheck "default claims" "$tmp/default.json" \
	"d['tee'] == 'sev-snp' and d['measurement'] == '$pattern' and d['report_data'] == '$zero64'
	 and d['snp']['host_data'] == '$zero32' and d['debug'] is False and d['snp']['vmpl'] == 0
	 and d['snp']['version'] == 3 and d['snp']['signing_key'] == 'vcek'
	 and d['snp']['product'] == 'Milan' and d.get('insecure_test_roots') is True"

# Every option.
rd=00112233445566778899aabbccddeeff
meas=$(python3 -c 'import os; print(os.urandom(48).hex())')
host=$(python3 -c 'import os; print(os.urandom(32).hex())')
run "report with every option" 0 "" "" -- "$SIM" report --pki "$pki" --report-data "$rd" \
	--measurement "$meas" --host-data "$host" --policy-debug --vmpl 2 --version 5 --out "$tmp/opts.bin"
check "report --out is 1184 bytes" test "$(stat -c %s "$tmp/opts.bin")" = 1184
verify "report with every option verifies with --report-data" 0 "$pki" "$tmp/opts.bin" --report-data "$rd"
jcheck "claims match the options" "$tmp/out" \
	"d['measurement'] == '$meas' and d['report_data'] == '$rd' + '00' * 48
	 and d['snp']['host_data'] == '$host' and d['debug'] is True
	 and d['snp']['policy']['debug'] is True and d['snp']['vmpl'] == 2
	 and d['snp']['version'] == 5"
verify "--report-data mismatch is rejected" 1 "$pki" "$tmp/opts.bin" --report-data "ff${rd:2}"
check "the mismatch is a binding rejection" grep -q "stage binding" "$tmp/err"
verify "64-byte --report-data" 0 "$pki" "$tmp/default.bin" --report-data "$zero64"

# Each version on its own.
for v in 2 3 5; do
	"$SIM" report --pki "$pki" --version "$v" --out "$tmp/v$v.bin"
	verify "version $v verifies" 0 "$pki" "$tmp/v$v.bin"
	jcheck "version $v claim" "$tmp/out" "d['snp']['version'] == $v and d['debug'] is False"
done

# Tampering is caught: flip one bit of MEASUREMENT (offset 0x90).
cp "$tmp/default.bin" "$tmp/flip.bin"
b=$(od -An -tu1 -j144 -N1 "$tmp/default.bin" | tr -d ' ')
printf "\\$(printf %03o $((b ^ 1)))" | dd of="$tmp/flip.bin" bs=1 seek=144 conv=notrunc status=none
verify "tampered report is rejected" 1 "$pki" "$tmp/flip.bin"
check "tampering is a signature rejection" grep -q "stage signature" "$tmp/err"

# Without the INSECURE option the test root is not trusted.
run "rejected without --insecure-test-root" 1 "" "rejected at stage" -- "$CUSTOS" verify \
	--collateral "$pki" --at "$at" "$tmp/default.bin"
check "... at the chain" grep -q "rejected at stage chain" "$tmp/err"

# ---- a second PKI: its reports do not chain to the first one's root ----
pki2="$tmp/pki2"
run "init a second PKI" 0 "TEST PKI" "" -- "$SIM" init "$pki2"
check "the two ARKs differ" sh -c "! cmp -s '$pki/ark.pem' '$pki2/ark.pem'"
"$SIM" report --pki "$pki2" --out "$tmp/other.bin"
verify "second PKI's report verifies against its own root" 0 "$pki2" "$tmp/other.bin"
check "the two chips differ" python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["vcek"]["hwid"] == json.load(open(sys.argv[2]))["vcek"]["hwid"])' \
	"$pki/pki.json" "$pki2/pki.json"
verify "second PKI's report rejected with the first PKI's root and collateral" 1 "$pki" "$tmp/other.bin"
check "... its CHIP_ID is not that VCEK's" grep -q "stage endorsement: .*CHIP_ID" "$tmp/err"
run "second PKI's report rejected with the first PKI's root, its own collateral" 1 "" \
	"rejected at stage" -- "$CUSTOS" verify --insecure-test-root "$pki/ark.pem" \
	--collateral "$pki2" --at "$at" "$tmp/other.bin"
check "... at the chain" grep -q "rejected at stage chain" "$tmp/err"

# ---- product lines ----
for p in genoa turin; do
	P=$(python3 -c "print('$p'.capitalize())")
	run "init --product $p" 0 "for AMD $P" "" -- "$SIM" init --product "$p" "$tmp/$p"
	for v in 2 3 5; do
		"$SIM" report --pki "$tmp/$p" --version "$v" --report-data abcd --out "$tmp/$p-v$v.bin"
		verify "$p version $v verifies" 0 "$tmp/$p" "$tmp/$p-v$v.bin" --report-data abcd
		jcheck "$p version $v claims" "$tmp/out" \
			"d['snp']['product'] == '$P' and d['report_data'].startswith('abcd00')"
	done
done

# ---- a damaged PKI is refused ----
cp -r "$pki" "$tmp/mixed"
cp "$pki2/vcek.key" "$tmp/mixed/vcek.key"
run "a key from another PKI is refused" 2 "" "vcek.key is not the key of" -- \
	"$SIM" report --pki "$tmp/mixed" --out "$tmp/r.bin"
cp -r "$pki" "$tmp/mixed2"
cp "$pki2/vcek.pem" "$pki2/vcek.key" "$tmp/mixed2/"
run "a VCEK from another PKI is refused" 2 "" "vcek.pem is not signed by" -- \
	"$SIM" report --pki "$tmp/mixed2" --out "$tmp/r.bin"
cp -r "$pki" "$tmp/badjson"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["vcek"]["tcb"]["snp"] += 1
json.dump(d, open(sys.argv[1], "w"))' "$tmp/badjson/pki.json"
run "pki.json contradicting vcek.pem is refused" 2 "" "disagrees with" -- \
	"$SIM" report --pki "$tmp/badjson" --out "$tmp/r.bin"
check "no report written on failure" test ! -e "$tmp/r.bin"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
