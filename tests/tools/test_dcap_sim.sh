#!/usr/bin/env bash
# custos-dcap-sim end to end: its TEST platform's quotes and collateral, checked
# by the real verifier (custos verify --insecure-test-root), and its usage errors.
set -u
SIM=${1:?usage: test_dcap_sim.sh path/to/custos-dcap-sim path/to/custos}
CUSTOS=${2:?usage: test_dcap_sim.sh path/to/custos-dcap-sim path/to/custos}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; }

# run NAME RC [GREP_STDOUT] [GREP_STDERR] -- PROGRAM ARGS...
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

d="$tmp/platform"
V=("$CUSTOS" verify --insecure-test-root "$d/root.pem" --collateral "$d/collateral")
run "init" 0 "" "TEST platform in $d" -- "$SIM" init "$d"
"$SIM" quote "$d" --report-data 00112233 --eventlog "$tmp/ccel.bin" >"$tmp/tdx.bin"
run "a TDX quote verifies, bound and with its event log" 0 '"kernel_cmdline": "console=hvc0' "INSECURE" -- \
	"${V[@]}" --report-data 00112233 --eventlog "$tmp/ccel.bin" "$tmp/tdx.bin"
run "its result says the root was a test root" 0 '"insecure_test_roots": true' "" -- "${V[@]}" "$tmp/tdx.bin"
run "without the test root it is refused" 1 "" "stage pck-chain" -- \
	"$CUSTOS" verify --collateral "$d/collateral" "$tmp/tdx.bin"
run "another binding is refused" 1 "" "stage binding" -- "${V[@]}" --report-data 00112234 "$tmp/tdx.bin"
"$SIM" quote "$d" --sgx --debug >"$tmp/sgx.bin"
run "an SGX debug enclave verifies and says so" 0 '"debug": true' "" -- "${V[@]}" "$tmp/sgx.bin"
run "quote before init" 1 "" "run init first" -- "$SIM" quote "$tmp/nowhere"
run "bad --report-data" 1 "" "not hex of up to 64 bytes" -- "$SIM" quote "$d" --report-data xyz
run "usage" 2 "" "Usage" -- "$SIM"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
