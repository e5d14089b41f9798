#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# TPM 2.0 quote verification: Custos (bench_tpm, against OpenSSL's raw rate
# for the quote's one signature) on the GCE sample of the corpus (AK
# certificate to Google's root, RSA-2048) and on a live swtpm quote (RSA-2048
# AK pinned), and its peer tpm2_checkquote (tpm2-tools) on that same swtpm
# quote: it must accept it and refuse a tampered copy; its rate is per
# verification, a process each, as it is used.
#   bench/bench_tpm.sh BUILD_DIR [RUNS] [SECONDS] [PEER_RUNS]
set -eu
build=$(cd "$1" && pwd)
runs=${2:-5}
secs=${3:-2}
peer_runs=${4:-200}
corpus=${CUSTOS_CORPUS:-$(cd "$(dirname "$0")/.." && pwd)/../shared/corpus}

tmp=$(mktemp -d)
cleanup() {
	[ -f "$tmp/swtpm.pid" ] && kill "$(cat "$tmp/swtpm.pid")" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# 1. the GCE sample's SHA-256 quote with its AK certificate
d=$corpus/tpm/gtt-gce-cos85-nonce9009
python3 - "$d" "$tmp/gce.json" <<'EOF'
import base64, json, sys
d, out = sys.argv[1], sys.argv[2]
b = lambda f: base64.b64encode(open(f"{d}/{f}", "rb").read()).decode()
pcrs = json.load(open(f"{d}/pcrs_sha256.json"))
json.dump({"ak_public": b("ak_pub.tpmt"), "ak_cert": b("ak_cert.der"),
           "quote": {"SHA256": {"attest_body": b("quote_sha256.attest"),
                                "attest_sig": b("quote_sha256.sig"),
                                "pcrs": [pcrs[str(i)] for i in range(24)]}}}, open(out, "w"))
EOF
echo "== GCE vTPM quote (corpus gtt-gce-cos85-nonce9009)"
"$build/bench/bench_tpm" "$tmp/gce.json" 2025-01-01T00:00:00Z 9009 "$runs" "$secs" \
	"$d/gce_ek_root.der" "$d/gce_ek_intermediate_2.der"

# 2. a live swtpm quote by an RSA-2048 AK
if ! command -v swtpm >/dev/null || ! command -v tpm2_checkquote >/dev/null; then
	echo "peer: swtpm and tpm2-tools are needed (scripts/install-deps.sh installs them)" >&2
	exit 1
fi
port=$(python3 -c 'import socket
for _ in range(100):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    try:
        b = socket.socket(); b.bind(("127.0.0.1", p + 1)); b.close(); a.close(); print(p); break
    except OSError:
        a.close()')
mkdir "$tmp/state"
swtpm socket --tpm2 --tpmstate dir="$tmp/state" --server type=tcp,port="$port" \
	--ctrl type=tcp,port=$((port + 1)) --flags not-need-init,startup-clear \
	--daemon --pid file="$tmp/swtpm.pid"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
cd "$tmp"
t() { "$@" >/dev/null; tpm2_flushcontext -t >/dev/null 2>&1 || true; }
t tpm2_createek -c ek.ctx -G rsa -u ek.pub
t tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pem -f pem -n ak.name
tpm2_flushcontext -s >/dev/null 2>&1 || true
t tpm2_evictcontrol -C o -c ak.ctx 0x81010003
t tpm2_readpublic -c 0x81010003 -f tss -o ak.tss
t tpm2_pcrextend 16:sha256=$(printf workload | sha256sum | cut -c1-64)
nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
sel=sha256:0,1,2,3,4,5,6,7,16
t tpm2_quote -c 0x81010003 -l $sel -q "$nonce" -m quote.msg -s quote.sig -o pcrs.out -g sha256
tpm2_pcrread $sel > pcrs.yaml
python3 - <<'EOF'
import base64, json, re
b = lambda f: base64.b64encode(open(f, "rb").read()).decode()
pcrs = [m.group(1).lower() for m in re.finditer(r"\d+\s*:\s*0x([0-9A-Fa-f]{64})", open("pcrs.yaml").read())]
json.dump({"ak_public": b("ak.tss"), "quote": {"SHA256": {"attest_body": b("quote.msg"),
          "attest_sig": b("quote.sig"), "pcrs": pcrs}}}, open("swtpm.json", "w"))
EOF
echo "== swtpm quote (RSA-2048 AK, pinned)"
"$build/bench/bench_tpm" swtpm.json 2025-01-01T00:00:00Z "$nonce" "$runs" "$secs" ak.pem \
	| tee custos.out
custos=$(sed -n 's/^median: .* custos \([0-9]*\)\/s.*/\1/p' custos.out)

check() { tpm2_checkquote -u ak.pem -m "$1" -s quote.sig -f pcrs.out -g sha256 -q "$nonce" >/dev/null 2>&1; }
check quote.msg || { echo "peer: tpm2_checkquote refuses the genuine quote" >&2; exit 1; }
cp quote.msg tampered.msg
printf '\001' | dd of=tampered.msg bs=1 seek=40 conv=notrunc 2>/dev/null
if check tampered.msg; then echo "peer: tpm2_checkquote accepts a tampered quote" >&2; exit 1; fi
echo "peer: tpm2_checkquote accepts the quote and refuses a tampered copy"
rates=""
for r in $(seq 1 "$runs"); do
	t0=$(date +%s.%N)
	i=0
	while [ $i -lt "$peer_runs" ]; do check quote.msg; i=$((i + 1)); done
	t1=$(date +%s.%N)
	rate=$(awk "BEGIN { printf \"%.0f\", $peer_runs / ($t1 - $t0) }")
	echo "peer run $r: $rate verify/s ($peer_runs runs of tpm2_checkquote)"
	rates="$rates $rate"
done
peer=$(echo $rates | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "peer median: $peer verify/s"
echo "custos/peer (tpm2_checkquote $(tpm2_checkquote --version | sed -n 's/.*version="\([^"]*\)".*/\1/p')): $custos / $peer = $(awk "BEGIN { printf \"%.0f\", $custos / $peer }")x"
