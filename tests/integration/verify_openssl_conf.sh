#!/usr/bin/env bash
# mse verify decodes the DCAP certificates and CRLs in library contexts of its own
# (src/core/x509_ctx.c), made next to whatever the process's OpenSSL configuration set up: a
# configuration that activates other providers besides the default one (legacy, base) must
# leave the verdicts on the genuine evidence unchanged: accepted under the policy that accepts
# it, refused with the same code for its expired PCK CRL under the strict one.
set -euo pipefail
mse="$MSE_BUILD_DIR/mse"
data="$MSE_TEST_DATA/real"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ev=(--evidence "$data/mse-home-evidence.json" --no-cache --at 2023-06-25T00:00:00Z
    --fingerprint 0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b
    --mrsigner c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5)

for extra in legacy base; do
    conf="$work/$extra.cnf"
    cat >"$conf" <<CNF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
$extra = extra_sect
[default_sect]
activate = 1
[extra_sect]
activate = 1
CNF
    # The configuration is really read: OpenSSL lists both providers under it.
    OPENSSL_CONF="$conf" openssl list -providers | grep -q "^  $extra\$" ||
        fail "$extra: configuration not taken by openssl"
    OPENSSL_CONF="$conf" "$mse" verify "${ev[@]}" --allow-expired-collateral \
        --allow-tcb OutOfDate --json --output "$work/cert.pem" >"$work/ok.$extra" 2>&1 ||
        fail "$extra: the genuine evidence is refused: $(cat "$work/ok.$extra")"
    grep -q '"verdict": "ok"' "$work/ok.$extra" || fail "$extra: verdict"
    set +e
    OPENSSL_CONF="$conf" "$mse" verify "${ev[@]}" --output "$work/strict.pem" \
        >"$work/strict.$extra" 2>&1
    rc=$?
    set -e
    [ "$rc" = 11 ] || fail "$extra: strict: exit $rc, want 11 (collateral)"
    grep -q 'MSE_ERR_CRL_EXPIRED' "$work/strict.$extra" || fail "$extra: strict: decisive code"
    echo "ok: $extra provider configured: accepted and refused as without it"
done

# A configuration whose provider section names one that does not load leaves OpenSSL without
# any algorithm: every command refuses before it reads anything (nothing saved), and its
# one error names the file to fix, not some input that only looked malformed.
conf="$work/broken.cnf"
cat >"$conf" <<CNF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
no_such_provider = no_such_sect
[no_such_sect]
activate = 1
CNF
want="error: OpenSSL cannot run: it has no SHA-256 in its default context, as its configuration file, $conf, loads no usable provider (MSE_ERR_CRYPTO)"
# With and without the pinned identities (the built-in signer key is then read first).
for pins in yes no; do
    args=("${ev[@]}")
    [ "$pins" = yes ] || args=(--evidence "$data/mse-home-evidence.json" --no-cache --at 2023-06-25T00:00:00Z)
    set +e
    OPENSSL_CONF="$conf" "$mse" verify "${args[@]}" --allow-expired-collateral --allow-tcb OutOfDate \
        --output "$work/broken.pem" >"$work/broken.out" 2>"$work/broken.err"
    rc=$?
    set -e
    # Exit 1 (the verification could not run), not a crash or a sanitizer's abort.
    [ "$rc" = 1 ] || fail "broken configuration ($pins): exit $rc, want 1: $(cat "$work/broken.err")"
    [ "$(cat "$work/broken.err")" = "$want" ] || fail "broken configuration ($pins): $(cat "$work/broken.err")"
    [ ! -s "$work/broken.out" ] || fail "broken configuration ($pins): stdout: $(cat "$work/broken.out")"
    [ ! -e "$work/broken.pem" ] || fail "broken configuration ($pins): a certificate was saved"
done
# --json: the same error as one object on stdout; --help still answers.
set +e
OPENSSL_CONF="$conf" "$mse" fingerprint --json --context /nonexistent --code /nonexistent \
    >"$work/broken.json" 2>/dev/null
rc=$?
set -e
[ "$rc" = 1 ] || fail "broken configuration, --json: exit $rc"
grep -q '^{"error":{"code":"MSE_ERR_CRYPTO","exit":1,"message":"OpenSSL cannot run: ' "$work/broken.json" ||
    fail "broken configuration, --json: $(cat "$work/broken.json")"
OPENSSL_CONF="$conf" "$mse" verify --help | grep -q '^usage: mse verify' ||
    fail "broken configuration: mse verify --help"
echo "ok: a configuration that loads no provider is named in the one error of any command (exit $rc)"
