#!/usr/bin/env bash
# The policy documentation stays true: its examples load, and every operator,
# value name and key the code knows is documented (docs/policy.md and the
# custos-policy(5) man page).
set -u
CUSTOS=${1:?usage: test_docs.sh path/to/custos}
SRC=${CUSTOS_SOURCE_ROOT:?}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; }

ex=$SRC/docs/examples
for p in "$ex"/appraisal-*.json "$ex"/release*.json; do
	if "$CUSTOS" policy check "$p" --refvalues "$ex/refvalues.json" >/dev/null 2>"$tmp/err"; then
		ok "example $(basename "$p") loads"
	else
		nok "example $(basename "$p") loads: $(cat "$tmp/err")"
	fi
done
if "$CUSTOS" policy import-azure "$ex/azure-skr-cvm.json" >/dev/null 2>&1; then
	ok "example azure-skr-cvm.json imports"
else
	nok "example azure-skr-cvm.json imports"
fi

# The release policy in the man page's EXAMPLES section loads.
awk '/^\.SH EXAMPLES/{e=1} e&&/^\.nf/{n++; if(n==1){p=1; next}} p&&/^\.fi/{exit} p' \
	"$SRC/man/custos-policy.5" | sed 's/\\-/-/g' >"$tmp/man-example.json"
if "$CUSTOS" policy check "$tmp/man-example.json" --refvalues "$ex/refvalues.json" >/dev/null 2>"$tmp/err"; then
	ok "man page example loads"
else
	nok "man page example loads: $(cat "$tmp/err")"
fi

# Every operator and trustworthiness value name in the code is documented.
names=$(sed -n '/op_names\[_OP_MAX\] = {/,/^};/p; /tv_specific\[_CU_TV_MAX\]/,/^};/p; /tv_common\[\] = {/,/^};/p' \
	"$SRC/src/appraisal/policy.c" | grep -o '"[a-zA-Z_]*"' | tr -d '"' | sort -u)
[ -n "$names" ] || nok "could not extract names from policy.c"
for n in $names; do
	if grep -q -- "$n" "$SRC/docs/policy.md" && grep -q -- "$n" "$SRC/man/custos-policy.5"; then
		ok "documented: $n"
	else
		nok "not documented in docs/policy.md and custos-policy.5: $n"
	fi
done

# Every custosd route outside the KBS protocol is in the OpenAPI file and docs/api.md.
CUSTOSD=${2:-}
if [ -n "$CUSTOSD" ]; then
	routes=$("$CUSTOSD" --list-routes | awk '{print $2}' | sed 's/\.\.\.$//' |
		grep -v '^/kbs/' | grep -v '^/v1/admin/$' | grep -v '^/v1/release/$' | sort -u)
	[ -n "$routes" ] || nok "custosd --list-routes printed nothing"
	for r in $routes /v1/release/; do
		key=$r
		[ "$r" = /v1/release/ ] && key=/v1/release/{tenant}/{name}
		if grep -qF -- "  $key:" "$SRC/docs/openapi.yaml"; then
			ok "openapi.yaml documents $key"
		else
			nok "openapi.yaml does not document $key"
		fi
		if grep -qF -- "$(printf %s "$key" | sed 's/{tenant}.*//')" "$SRC/docs/api.md"; then
			ok "api.md documents $key"
		else
			nok "api.md does not document $key"
		fi
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
