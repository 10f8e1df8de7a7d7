#!/usr/bin/env bash
# `mse trust` against temporary NSS databases, without a browser: argument
# and input refusals with their exit codes, the database created on first
# use, flags read back with certutil, a password-protected database refused
# rather than prompting (stdin is /dev/null), and `list`/`remove` errors.
set -euo pipefail
umask 022 # the records written here must not be group-writable (mse trust add refuses those)
: "${MSE_BUILD_DIR:?set by CTest}"
: "${MSE_TEST_DATA:?set by CTest}"
MSE_BIN="$MSE_BUILD_DIR/mse"
D="$MSE_TEST_DATA/trust"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mse-trust-cli-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
command -v certutil >/dev/null || fail "certutil not found (Debian package libnss3-tools)"

# expect CODE CMD... : run CMD (bounded), require exit CODE; output in $TMP/out.
expect() {
    local want=$1 rc=0
    shift
    timeout 60 "$@" >"$TMP/out" 2>&1 || rc=$?
    [[ $rc -eq $want ]] || fail "exit $rc, expected $want: $* :: $(cat "$TMP/out")"
}
flags() { certutil -L -d "sql:$1" | awk -v n="$2" '$1 == n { print $2 }'; }

DB=$TMP/db
cp "$D/leaf.pem" "$TMP/leaf.pem"
sha=$(openssl x509 -in "$TMP/leaf.pem" -outform der | openssl dgst -sha256 -r | cut -d' ' -f1)
# record MRENCLAVE_OUTCOME [DEBUG_OUTCOME] : the record mse verify writes beside leaf.pem (checks shortened).
record() {
    printf '{"sha256":"%s","verified_at":"2026-11-23T01:00:00Z","verdict":"success","target":"localhost:1","checks":{"quote":{"outcome":"pass"},"mrenclave":{"outcome":"%s"},"debug":{"outcome":"%s"}}}\n' \
        "$sha" "$1" "${2:-pass}" >"$TMP/leaf.pem.verify.json"
}
record pass

# Usage errors: exit 2, nothing created.
expect 2 "$MSE_BIN" trust
expect 2 "$MSE_BIN" trust frobnicate
expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --nssdb "$DB"
expect 2 "$MSE_BIN" trust add --name x --nssdb "$DB"
for bad in "" "-x" "a b" "a/b" "../x" "x;y" "$(printf 'a%.0s' $(seq 1 65))"; do
    expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name "$bad" --nssdb "$DB"
done
expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name x --nssdb "$DB" --bogus
[[ ! -e $DB ]] || fail "a refused command created the database"

# Input errors: not one certificate (exit 3), missing file (22).
expect 3 "$MSE_BIN" trust add "$D/two.pem" --name x --nssdb "$DB" --force
printf 'hello\n' >"$TMP/junk.pem"
expect 3 "$MSE_BIN" trust add "$TMP/junk.pem" --name x --nssdb "$DB" --force
expect 22 "$MSE_BIN" trust add "$TMP/nope.pem" --name x --nssdb "$DB" --force
[[ ! -e $DB ]] || fail "a refused command created the database"

# list/remove before any database exists.
expect 22 "$MSE_BIN" trust list --nssdb "$DB"
expect 22 "$MSE_BIN" trust remove x --nssdb "$DB"

# A verification without the code fingerprint (MRENCLAVE skipped: any code on
# any SGX machine passes) is refused without --force, and nothing is created;
# with --force it is added, warned about and marked as forced.
record skipped
expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name leaf --nssdb "$DB"
grep -q "^error: refusing to trust $TMP/leaf.pem: its verification record ($TMP/leaf.pem.verify.json) shows the code fingerprint (MRENCLAVE) was not checked" "$TMP/out" ||
    fail "skipped fingerprint not explained: $(cat "$TMP/out")"
grep -q '(MSE_ERR_UNVERIFIED_CERT)' "$TMP/out" || fail "skipped fingerprint: wrong code: $(cat "$TMP/out")"
[[ ! -e $DB ]] || fail "a refused trust add created the database"
expect 0 "$MSE_BIN" trust add "$TMP/leaf.pem" --name leaf --nssdb "$DB" --force
grep -q 'warning: --force: trusting .* the code fingerprint (MRENCLAVE) was not checked' "$TMP/out" ||
    fail "--force over a skipped fingerprint gave no warning: $(cat "$TMP/out")"
expect 0 "$MSE_BIN" trust list --nssdb "$DB" --json
grep -q '"forced": true' "$TMP/out" || fail "not marked as forced: $(cat "$TMP/out")"
expect 0 "$MSE_BIN" trust remove leaf --nssdb "$DB"
rm -rf "$DB"
# A debug enclave (mse verify --allow-debug: debug "warn"): the host can read
# its TLS key. Refused likewise without --force.
record pass warn
expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name leaf --nssdb "$DB"
grep -qxF "error: refusing to trust $TMP/leaf.pem: its verification record ($TMP/leaf.pem.verify.json) shows a debug enclave (accepted by --allow-debug): the host can read its memory, TLS key included." "$TMP/out" ||
    fail "debug enclave not explained: $(cat "$TMP/out")"
grep -q '(MSE_ERR_UNVERIFIED_CERT)' "$TMP/out" || fail "debug enclave: wrong code: $(cat "$TMP/out")"
[[ ! -e $DB ]] || fail "a refused trust add created the database"
record pass

# A certificate outside its validity now (mse-real-ratls.pem ended
# 2024-04-26T09:38:33Z), even with a matching record, is refused (exit 11):
# the browser would reject it; --force adds it with a warning.
cp "$D/mse-real-ratls.pem" "$TMP/old.pem"
old_sha=$(openssl x509 -in "$TMP/old.pem" -outform der | openssl dgst -sha256 -r | cut -d' ' -f1)
printf '{"sha256":"%s","verified_at":"2023-06-01T00:00:00Z","verdict":"success","target":"localhost:1","checks":{"mrenclave":{"outcome":"pass"},"debug":{"outcome":"pass"}}}\n' \
    "$old_sha" >"$TMP/old.pem.verify.json"
expect 11 "$MSE_BIN" trust add "$TMP/old.pem" --name old --nssdb "$DB"
grep -qF "error: refusing to trust $TMP/old.pem: it is valid from 2023-05-17T09:38:42Z to 2024-04-26T09:38:33Z, not now" "$TMP/out" ||
    fail "expired certificate not explained: $(cat "$TMP/out")"
grep -q '(MSE_ERR_RATLS_CERT_VALIDITY)' "$TMP/out" || fail "expired: wrong code: $(cat "$TMP/out")"
[[ ! -e $DB ]] || fail "a refused trust add created the database"
expect 0 "$MSE_BIN" trust add "$TMP/old.pem" --name old --nssdb "$DB" --force
grep -q "warning: $TMP/old.pem has expired" "$TMP/out" || fail "--force: no expiry warning: $(cat "$TMP/out")"
[[ $(flags "$DB" old) == "P,," ]] || fail "--force: expired certificate not added"
expect 0 "$MSE_BIN" trust remove old --nssdb "$DB"
rm -rf "$DB"

# First add: creates the database, adds P,, (the record matches: no --force).
expect 0 "$MSE_BIN" trust add "$TMP/leaf.pem" --name leaf --nssdb "$DB"
grep -q 'Creating the NSS database' "$TMP/out" || fail "no creation message"
grep -q 'Verified by mse verify of localhost:1' "$TMP/out" || fail "record not reported"
[[ -f $DB/cert9.db ]] || fail "no cert9.db"
[[ $(flags "$DB" leaf) == "P,," ]] || fail "leaf not P,,"
# The certificate in the database is byte for byte the one checked.
certutil -L -d "sql:$DB" -n leaf -r | cmp -s - "$D/leaf.der" || fail "stored DER differs"

# The default database is $HOME/.pki/nssdb.
mkdir -p "$TMP/home"
HOME=$TMP/home expect 0 "$MSE_BIN" trust add "$TMP/leaf.pem" --name leaf
[[ $(flags "$TMP/home/.pki/nssdb" leaf) == "P,," ]] || fail "default database not used"
[[ $(stat -c %a "$TMP/home/.pki") == 700 ]] || fail "~/.pki not created 0700"

# A name that is a prefix of another is not confused with it.
expect 0 "$MSE_BIN" trust add "$D/ca.pem" --name leaf2 --nssdb "$DB" --force
grep -q 'is a CA certificate' "$TMP/out" || fail "no CA:TRUE warning"
expect 0 "$MSE_BIN" trust remove leaf --nssdb "$DB"
[[ -z $(flags "$DB" leaf) && $(flags "$DB" leaf2) == "P,," ]] || fail "remove leaf touched leaf2"
expect 2 "$MSE_BIN" trust remove leaf --nssdb "$DB"
expect 0 "$MSE_BIN" trust list --nssdb "$DB"
grep -q '^leaf2  *P,,' "$TMP/out" || fail "list does not show leaf2"
# A foreign nickname with a space after NAME ("leaf2 x") is another entry:
# `list` shows leaf2's own flags (not "x"), and `add --name leaf3` beside a
# foreign "leaf3 x" is not mistaken for replacing an entry mse did not add.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj /CN=foreign -days 2 -out "$TMP/foreign.pem" 2>/dev/null
certutil -A -d "sql:$DB" -n "leaf2 x" -t "C,," -i "$TMP/foreign.pem"
expect 0 "$MSE_BIN" trust list --nssdb "$DB"
grep -q '^leaf2  *P,,  *added' "$TMP/out" || fail "list: leaf2's flags misread: $(cat "$TMP/out")"
expect 0 "$MSE_BIN" trust list --nssdb "$DB" --json
grep -q '"trust": "P,,"' "$TMP/out" || fail "list --json: leaf2's flags misread: $(cat "$TMP/out")"
certutil -D -d "sql:$DB" -n "leaf2 x"
certutil -A -d "sql:$DB" -n "leaf3 x" -t "C,," -i "$TMP/foreign.pem"
expect 0 "$MSE_BIN" trust add "$D/nosan.pem" --name leaf3 --nssdb "$DB" --force
grep -q 'was not added by mse trust' "$TMP/out" && fail "leaf3 confused with 'leaf3 x': $(cat "$TMP/out")"
certutil -L -d "sql:$DB" | grep -q '^leaf3 x  *C,,' || fail "'leaf3 x' changed"
expect 0 "$MSE_BIN" trust remove leaf3 --nssdb "$DB"
certutil -L -d "sql:$DB" | grep -q '^leaf3 x  *C,,' || fail "remove leaf3 touched 'leaf3 x'"
certutil -D -d "sql:$DB" -n "leaf3 x"

# No-SAN and expired-record warnings; a record for another certificate is refused.
expect 0 "$MSE_BIN" trust add "$D/nosan.pem" --name nosan --nssdb "$DB" --force
grep -q 'no subjectAltName' "$TMP/out" || fail "no SAN warning"
cp "$D/ca.pem" "$TMP/other.pem"
cp "$TMP/leaf.pem.verify.json" "$TMP/other.pem.verify.json"
expect 2 "$MSE_BIN" trust add "$TMP/other.pem" --name other --nssdb "$DB"
grep -q 'another certificate or not a success' "$TMP/out" || fail "mismatch not explained"
printf '{"sha256":"%s","verified_at":"2026-11-23T01:00:00Z","verdict":"success","verdict":"success"}' \
    "$sha" >"$TMP/leaf.pem.verify.json"
expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name leaf --nssdb "$DB"
grep -q 'malformed' "$TMP/out" || fail "duplicate-key record not refused as malformed"

# Peer trust is not CA trust, in NSS's own verifier too (programs other than
# Chromium that read the same database): a leaf for another site signed by a
# CA:TRUE certificate that mse trust added is refused, by the classic and the
# libpkix path builder (-8172 SEC_ERROR_UNTRUSTED_ISSUER), while the
# certificate itself is accepted as a server certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/evil.key" \
    -subj /CN=evil -days 2 -addext basicConstraints=critical,CA:TRUE \
    -addext subjectAltName=DNS:localhost -out "$TMP/evil.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj /CN=victim.example -out "$TMP/victim.csr" 2>/dev/null
printf 'subjectAltName=DNS:victim.example\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$TMP/victim.ext"
openssl x509 -req -in "$TMP/victim.csr" -CA "$TMP/evil.pem" -CAkey "$TMP/evil.key" -set_serial 7 \
    -days 1 -extfile "$TMP/victim.ext" -out "$TMP/victim.pem" 2>/dev/null
mkdir -p "$TMP/cadb"
expect 0 "$MSE_BIN" trust add "$TMP/evil.pem" --name evil --nssdb "$TMP/cadb" --force
[[ $(flags "$TMP/cadb" evil) == "P,," ]] || fail "evil not P,,"
for builder in "" -pp; do
    rc=0
    vfychain -d "sql:$TMP/cadb" $builder -u 1 -a "$TMP/evil.pem" >"$TMP/vfy" 2>&1 || rc=$?
    [[ $rc -eq 0 ]] || fail "vfychain $builder: the trusted peer itself refused: $(cat "$TMP/vfy")"
    rc=0
    vfychain -d "sql:$TMP/cadb" $builder -u 1 -a "$TMP/victim.pem" >"$TMP/vfy" 2>&1 || rc=$?
    [[ $rc -ne 0 ]] && grep -q 'ERROR -8172' "$TMP/vfy" ||
        fail "vfychain $builder: a leaf signed by a peer-trusted CA:TRUE certificate: $(cat "$TMP/vfy")"
done

# A record someone else could have written vouches for nothing: writable by
# group or others (mse verify writes 0644), or another user's (a pair planted
# in a shared directory where mse verify could then not replace it).
record pass
chmod 0664 "$TMP/leaf.pem.verify.json"
expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name planted --nssdb "$TMP/planteddb"
grep -qxF "error: refusing to trust $TMP/leaf.pem: its verification record $TMP/leaf.pem.verify.json cannot be relied on: other users may write it (mode 0664)." "$TMP/out" ||
    fail "group-writable record: $(cat "$TMP/out")"
grep -q '(MSE_ERR_UNVERIFIED_CERT)' "$TMP/out" || fail "group-writable record: wrong code: $(cat "$TMP/out")"
[[ ! -e $TMP/planteddb ]] || fail "a refused trust add created the database"
chmod 0644 "$TMP/leaf.pem.verify.json"
if [[ $(id -u) -eq 0 ]]; then
    chown 12345:12345 "$TMP/leaf.pem.verify.json"
    expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name planted --nssdb "$TMP/planteddb"
    grep -qxF "error: refusing to trust $TMP/leaf.pem: its verification record $TMP/leaf.pem.verify.json cannot be relied on: it belongs to another user (uid 12345)." "$TMP/out" ||
        fail "another user's record: $(cat "$TMP/out")"
    expect 0 "$MSE_BIN" trust add "$TMP/leaf.pem" --name planted --nssdb "$TMP/planteddb" --force
    grep -q "warning: --force: trusting $TMP/leaf.pem although its verification record .* belongs to another user" "$TMP/out" ||
        fail "--force over another user's record: no warning: $(cat "$TMP/out")"
    expect 0 "$MSE_BIN" trust list --nssdb "$TMP/planteddb" --json
    grep -q '"forced": true' "$TMP/out" || fail "not marked as forced: $(cat "$TMP/out")"
    chown 0:0 "$TMP/leaf.pem.verify.json"
fi

# A name mse added, whose certificate the user removed and replaced with one of
# their own under the same name: the mark alone does not make it mse's.
record pass
mkdir -p "$TMP/reusedb"
expect 0 "$MSE_BIN" trust add "$TMP/leaf.pem" --name reused --nssdb "$TMP/reusedb"
certutil -D -d "sql:$TMP/reusedb" -n reused
certutil -A -d "sql:$TMP/reusedb" -n reused -t "C,," -i "$TMP/foreign.pem"
for action in remove add; do
    if [[ $action == remove ]]; then
        expect 2 "$MSE_BIN" trust remove reused --nssdb "$TMP/reusedb"
    else
        expect 2 "$MSE_BIN" trust add "$TMP/leaf.pem" --name reused --nssdb "$TMP/reusedb"
    fi
    grep -qF "error: 'reused' in $TMP/reusedb holds a certificate mse trust did not add (mse trust added SHA-256 $sha under that name, which is no longer there): pass --force to $( [[ $action == remove ]] && echo remove || echo replace) it anyway (MSE_ERR_ARG)" "$TMP/out" ||
        fail "$action over a reused name: $(cat "$TMP/out")"
    [[ $(flags "$TMP/reusedb" reused) == "C,," ]] || fail "$action changed the user's 'reused'"
done
expect 0 "$MSE_BIN" trust remove reused --nssdb "$TMP/reusedb" --force
[[ -z $(flags "$TMP/reusedb" reused) ]] || fail "remove --force left 'reused'"

# The same certificate already in the database under a nickname mse did not
# add: NSS holds a certificate once, so certutil -A would re-flag that entry.
# mse trust add fails (exit 22), says so, and the entry keeps its trust.
record pass
mkdir -p "$TMP/dupdb"
certutil -N -d "sql:$TMP/dupdb" --empty-password
certutil -A -d "sql:$TMP/dupdb" -n "user cert" -t "C,C,C" -i "$TMP/leaf.pem"
expect 22 "$MSE_BIN" trust add "$TMP/leaf.pem" --name dup --nssdb "$TMP/dupdb"
grep -qF "error: this certificate is already in $TMP/dupdb as 'user cert' (trust C,C,C), which mse trust did not add" "$TMP/out" ||
    fail "duplicate certificate not explained: $(cat "$TMP/out")"
certutil -L -d "sql:$TMP/dupdb" | grep -q '^user cert  *C,C,C *$' ||
    fail "the user's entry changed: $(certutil -L -d "sql:$TMP/dupdb")"
[[ -z $(flags "$TMP/dupdb" dup) ]] || fail "dup added beside the user's entry"
expect 0 "$MSE_BIN" trust list --nssdb "$TMP/dupdb"
grep -q '^(none)' "$TMP/out" || fail "a failed add left a mark: $(cat "$TMP/out")"
# Same trust already (P,,): nothing changes either, and the reason is given.
certutil -M -d "sql:$TMP/dupdb" -n "user cert" -t "P,,"
expect 22 "$MSE_BIN" trust add "$TMP/leaf.pem" --name dup --nssdb "$TMP/dupdb"
grep -qF "error: 'dup' is not in $TMP/dupdb after certutil -A: the database already holds this certificate under another nickname" "$TMP/out" ||
    fail "duplicate with the same trust not explained: $(cat "$TMP/out")"

# Another program changing an entry while certutil -A runs (a certutil that
# also re-flags 'other'): reported, never undone by mse (it is not its
# change), and the half-done add is removed.
mkdir -p "$TMP/bin" "$TMP/concdb"
real_certutil=$(command -v certutil)
printf '#!/usr/bin/env bash\n"%s" "$@"; rc=$?\n[[ $1 == -A ]] && "%s" -M -d "$3" -n other -t c,,\nexit $rc\n' \
    "$real_certutil" "$real_certutil" >"$TMP/bin/certutil"
chmod +x "$TMP/bin/certutil"
certutil -N -d "sql:$TMP/concdb" --empty-password
certutil -A -d "sql:$TMP/concdb" -n other -t "C,," -i "$TMP/foreign.pem"
PATH=$TMP/bin:$PATH expect 22 "$MSE_BIN" trust add "$TMP/leaf.pem" --name conc --nssdb "$TMP/concdb"
grep -qF "error: 'other' in $TMP/concdb changed from trust C,, to c,, during the import, not by mse trust (another program writing the database?): try again" "$TMP/out" ||
    fail "concurrent change not explained: $(cat "$TMP/out")"
[[ $(flags "$TMP/concdb" other) == "c,," ]] || fail "mse undid another program's change"
[[ -z $(flags "$TMP/concdb" conc) ]] || fail "the failed add left 'conc' trusted"

# A password-protected database: certutil cannot write without the password;
# mse trust fails (exit 22) instead of waiting for a password prompt.
printf 'secret-pw\n' >"$TMP/pw"
mkdir -p "$TMP/pwdb"
certutil -N -d "sql:$TMP/pwdb" -f "$TMP/pw"
expect 22 "$MSE_BIN" trust add "$TMP/leaf.pem" --name leaf --nssdb "$TMP/pwdb" --force
[[ -z $(flags "$TMP/pwdb" leaf) ]] || fail "added to a password-protected database"

echo PASS
