#!/usr/bin/env bash
# mse fingerprint and mse context, end to end with the built binary.
set -euo pipefail
mse="$MSE_BUILD_DIR/mse"
data="$MSE_TEST_DATA"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for v in v01-minimal v02-typical v03-8g-16t; do
    d="$data/mrenclave/$v"
    want=$(sed -n 's/^mrenclave=//p' "$d/expected.txt")
    # 1. measure Gramine's expanded manifest
    got=$("$mse" fingerprint --manifest-sgx "$d/gramine-output/app.manifest.sgx" --libpal "$d/libpal.so" | tail -1)
    [ "$got" = "$want" ] || fail "$v --manifest-sgx: $got != $want"
    # 2. expand the user manifest (relative URIs: run from the vector directory)
    got=$(cd "$d" && "$mse" fingerprint --manifest app.manifest --libpal libpal.so \
          --write-manifest-sgx "$tmp/$v.sgx" | tail -1)
    [ "$got" = "$want" ] || fail "$v --manifest: $got != $want"
    cmp -s "$tmp/$v.sgx" "$d/gramine-output/app.manifest.sgx" || fail "$v: expanded manifest differs"
    json=$("$mse" fingerprint --manifest-sgx "$d/gramine-output/app.manifest.sgx" --libpal "$d/libpal.so" --json)
    case "$json" in *"\"mrenclave\": \"$want\""*) ;; *) fail "$v --json: $json" ;; esac
done

# chroot vector
d="$data/mrenclave-extra/chroot"
want=$(cat "$d/mrenclave.txt")
got=$(cd "$d" && "$mse" fingerprint --manifest app.manifest --libpal libpal.so --root rootfs | tail -1)
[ "$got" = "$want" ] || fail "chroot: $got != $want"

# usage errors and refusals carry the documented exit codes
set +e
"$mse" fingerprint --libpal x >/dev/null 2>&1; [ $? = 2 ] || fail "no input: exit code"
"$mse" fingerprint --manifest-sgx a --manifest b --libpal x >/dev/null 2>&1; [ $? = 2 ] || fail "conflict"
"$mse" fingerprint --manifest-sgx "$tmp/nope" --libpal x >/dev/null 2>&1; [ $? = 22 ] || fail "missing file"
printf 'a = \n' > "$tmp/bad.toml"
"$mse" fingerprint --manifest-sgx "$tmp/bad.toml" --libpal "$data/mrenclave/v01-minimal/libpal.so" >/dev/null 2>&1
[ $? = 3 ] || fail "bad TOML: exit code"
"$mse" fingerprint --manifest-sgx "$data/mrenclave/v01-minimal/gramine-output/app.manifest.sgx" --libpal "$tmp/bad.toml" >/dev/null 2>&1
[ $? = 3 ] || fail "bad ELF: exit code"
"$mse" fingerprint --context "$data/real/mse-context-v2.toml" --code "$tmp" > "$tmp/out" 2>&1
[ $? = 3 ] || fail "context without [runtime]: exit code"
grep -q "runtime" "$tmp/out" || fail "context without [runtime]: message"
set -e

# mse context
export MSE_CONF_PATH="$tmp/conf"
id=d17a9cbd-e2ff-4f77-ba03-e9d8ea58ca2e
[ -z "$("$mse" context --list)" ] || fail "empty list"
out=$("$mse" context --list --json) || fail "empty list --json exited $?"
[ "$out" = '{"contexts": []}' ] || fail "empty list --json: $out"
mkdir -p "$MSE_CONF_PATH/context/$id"
cp "$data/real/mse-context-v2.toml" "$MSE_CONF_PATH/context/$id/context.mse"
# Outputs are captured before they are searched: `mse ... | grep -q` under pipefail goes the
# wrong way when grep exits first and mse dies of SIGPIPE.
list=$("$mse" context --list) || fail "list exited $?"
grep -q "^$id  helloworld" <<<"$list" || fail "list: $list"
out=$("$mse" context --list --json) || fail "list --json exited $?"
[[ $out == '{"contexts": [{"id": "'$id'", "name": "helloworld", '*'}]}' ]] || fail "list --json: $out"
show=$("$mse" context --show "$id") || fail "show exited $?"
[[ $show == *demo.dev.cosmilink.com* ]] || fail "show: $show"
[[ $show != *a389f8ba* ]] || fail "show prints the key"
grep -q "^enclave size: *1G$" <<<"$show" || fail "show: mse-cli's enclave size: $show"
"$mse" context --export "$id" --output "$tmp/export.toml"
cmp -s "$tmp/export.toml" "$data/real/mse-context-v2.toml" || fail "export"
[ "$(stat -c %a "$tmp/export.toml")" = 600 ] || fail "export mode"
set +e
"$mse" context --show ../../etc/passwd >/dev/null 2>&1; [ $? = 2 ] || fail "path in UUID"
set -e
"$mse" context --remove "$id" 2>/dev/null
[ ! -e "$MSE_CONF_PATH/context/$id" ] || fail "remove"
mkdir -p "$MSE_CONF_PATH/context/$id"
cp "$data/real/mse-context-v2.toml" "$MSE_CONF_PATH/context/$id/context.mse"
"$mse" context --purge 2>/dev/null
[ -z "$("$mse" context --list)" ] || fail "purge"
# A context of mse context new gives the enclave size in its runtime's values, not in [instance].
mkdir -p "$tmp/newcode"
echo "print('x')" >"$tmp/newcode/app.py"
"$mse" context new --code "$tmp/newcode" --name sized --san localhost --out-code "$tmp/newcode.enc" \
    >/dev/null || fail "context new"
id=$("$mse" context --list | awk '$2 == "sized" {print $1}')
show=$("$mse" context --show "$id") || fail "show (mse context new) exited $?"
grep -q "^enclave size: *2G$" <<<"$show" || fail "show: the runtime's enclave size: $show"
"$mse" context --purge 2>/dev/null
echo OK
