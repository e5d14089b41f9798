# SPDX-License-Identifier: Apache-2.0
# Sourced by the benchmarks that run a peer (bench_dcap.sh, bench_snp.sh,
# bench_nitro.sh), after they set $tmp (a temporary directory they remove).

# Run Custos's benchmark ("$@"), show it, and keep its median rate in $custos.
run_custos() {
	"$@" | tee "$tmp/custos.out"
	custos=$(sed -n 's/^median: .* custos \([0-9]*\)\/s.*/\1/p' "$tmp/custos.out")
	[ -n "$custos" ] || exit 1
}

# The commands the peer needs ("$1": the peer's name; then the commands).
need() {
	peer_name=$1
	shift
	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			echo "peer: $* are needed for $peer_name (scripts/install-deps.sh --bench installs them)" >&2
			exit 1
		fi
	done
}

# Run the peer's driver ("$@"), show its output; on failure show what it said
# on standard error and stop, so that no figure is printed.
run_peer() {
	{
		rc=0
		"$@" 2>"$tmp/peer.err" || rc=$?
		echo $rc >"$tmp/peer.rc"
	} | tee "$tmp/peer.out"
	if [ "$(cat "$tmp/peer.rc")" != 0 ]; then
		cat "$tmp/peer.err" >&2
		exit 1
	fi
	peer_rate=$(sed -n 's/^peer median: \([0-9]*\) .*/\1/p' "$tmp/peer.out")
	[ -n "$peer_rate" ] || exit 1
}

# The last line: "custos/peer (PEER VERSION): C / P = Rx[ SUFFIX]".
compare() {
	echo "custos/peer ($1): $custos / $peer_rate = $(awk "BEGIN { printf \"%.1f\", $custos / $peer_rate }")x${2:+ $2}"
}
