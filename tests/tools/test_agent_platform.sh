#!/usr/bin/env bash
# custos-agent platform on fake machines (CUSTOS_AGENT_SYSROOT), and on this one.
set -u
AGENT=${1:?usage: test_agent_platform.sh path/to/custos-agent}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; }

# machine NAME FLAGS [PATHS...]: a fake root with /proc/cpuinfo and the given files/dirs
machine() {
	local root=$tmp/$1 flags=$2
	shift 2
	mkdir -p "$root/proc"
	printf 'processor\t: 0\nflags\t\t: fpu %s\n\nprocessor\t: 1\nflags\t\t: fpu\n' "$flags" \
		>"$root/proc/cpuinfo"
	for p in "$@"; do
		case $p in
		*/) mkdir -p "$root$p" ;;
		*) mkdir -p "$(dirname "$root$p")" && : >"$root$p" ;;
		esac
	done
	echo "$root"
}

# expect NAME ROOT RC TEE VERDICT_RE [JSON_CHECK]
expect() {
	local name=$1 root=$2 want_rc=$3 tee=$4 re=$5 jcheck=${6:-}
	CUSTOS_AGENT_SYSROOT=$root "$AGENT" platform >"$tmp/out" 2>&1
	local rc=$?
	CUSTOS_AGENT_SYSROOT=$root "$AGENT" platform --json >"$tmp/json" 2>&1
	if [ "$rc" != "$want_rc" ]; then nok "$name: exit $rc, want $want_rc"; sed 's/^/    /' "$tmp/out"; return; fi
	if ! grep -Eq "$re" "$tmp/out"; then nok "$name: verdict /$re/"; sed 's/^/    /' "$tmp/out"; return; fi
	if ! python3 -c "
import json, sys
j = json.load(open('$tmp/json'))
assert j['tee'] == '$tee', j['tee']
$jcheck
" 2>"$tmp/perr"; then nok "$name: JSON"; sed 's/^/    /' "$tmp/perr" "$tmp/json"; return; fi
	ok "$name"
}

r=$(machine plain "hypervisor")
expect "an ordinary VM: no TEE" "$r" 1 none "ordinary virtual machine" \
	"assert not any(j['devices'].values())"
r=$(machine metal "")
expect "bare metal without a TEE" "$r" 1 none "No confidential-computing TEE: no" \
	"assert not j['cpu_flags']['hypervisor']"
r=$(machine snp "hypervisor sev sev_es sev_snp" /dev/sev-guest /sys/kernel/config/tsm/report/)
expect "an SEV-SNP guest" "$r" 0 sev-snp "AMD SEV-SNP confidential VM: it can produce" \
	"assert j['cpu_flags']['sev_snp'] and j['devices']['sev-guest'] and j['devices']['configfs_tsm']"
r=$(machine snp-nodev "hypervisor sev sev_es sev_snp")
expect "an SEV-SNP guest without the driver" "$r" 0 sev-snp "load the sev-guest kernel module"
r=$(machine sev "hypervisor sev sev_es")
expect "an SEV-ES guest: no attestation" "$r" 1 none "without SNP" \
	"assert j['cpu_flags']['sev_es'] and not j['cpu_flags']['sev_snp']"
r=$(machine tdx "hypervisor tdx_guest" /dev/tdx_guest /sys/kernel/config/tsm/report/)
expect "a TDX guest" "$r" 0 tdx "Intel TDX confidential VM: it can produce TD quotes"
r=$(machine tdx-old "hypervisor tdx_guest" /dev/tdx_guest)
expect "a TDX guest without configfs-tsm" "$r" 0 tdx "configfs-tsm is not available"
r=$(machine nitro "" /dev/nsm)
expect "a Nitro enclave" "$r" 0 nitro "AWS Nitro Enclave"
r=$(machine tpm "hypervisor" /dev/tpmrm0)
expect "a VM with a vTPM only" "$r" 0 tpm "TPM quotes can attest the boot chain" \
	"assert j['devices']['tpm']"
r=$(machine gpu "hypervisor" /proc/driver/nvidia/version)
expect "an NVIDIA driver without NVML" "$r" 1 none "ordinary" \
	"assert j['nvidia_gpu']['driver'] and j['nvidia_gpu']['nvml'] in ('not installed', 'unusable')"
# "sev_snp" must not be found inside another flag
r=$(machine tricky "hypervisor nosev_snpx sevx")
expect "flags are matched whole" "$r" 1 none "ordinary"

# This machine, as it is: some verdict, valid JSON, exit 0 or 1.
"$AGENT" platform --json >"$tmp/real" 2>&1
rc=$?
if { [ $rc = 0 ] || [ $rc = 1 ]; } && python3 -c "import json; j = json.load(open('$tmp/real')); assert j['verdict']"; then
	ok "this machine: $(python3 -c "import json; print(json.load(open('$tmp/real'))['tee'])")"
else
	nok "this machine"
fi
"$AGENT" platform --bogus >/dev/null 2>&1
[ $? = 2 ] && ok "a bad option is a usage error" || nok "a bad option is a usage error"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
