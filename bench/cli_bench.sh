#!/usr/bin/env bash
# bench/cli_bench.sh BUILD_DIR: wall time of `mse verify DOMAIN` on loopback, cold (empty
# collateral cache: four PCCS requests) and warm (cache hit), next to `openssl s_client`'s bare
# TLS handshake to the same server, as ratios. Prints numbers only; never a test.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
runs=${RUNS:-21}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache" MSE_CONF_PATH="$work/conf"

"$build/mse-sim" pki init "$work/pki" >/dev/null
mre=$(printf 'ab%.0s' {1..32})
"$build/mse-sim" ratls --pki "$work/pki" --cert "$work/c.pem" --key "$work/k.pem" --mrenclave "$mre"
"$build/mse-sim" pccs serve --dir "$work/pki" --port 0 --port-file "$work/pp" --quiet --max-seconds 300 \
    >/dev/null 2>&1 &
pids+=($!)
port=$((20000 + RANDOM % 12000))
timeout 300 openssl s_server -accept "127.0.0.1:$port" -cert "$work/c.pem" -key "$work/k.pem" -www \
    -quiet >/dev/null 2>&1 </dev/null &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/pp" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
pccs="http://127.0.0.1:$(cat "$work/pp")"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); }
verify=("$build/mse" verify "127.0.0.1:$port" --pccs-url "$pccs" --trust-root "$work/pki/root.pem"
        --signer-key "$work/pki/signer.pem" --fingerprint "$mre" --output "$work/out.pem")

cold=$(for _ in $(seq "$runs"); do rm -rf "$work/cache"; ms "${verify[@]}"; done | median)
"${verify[@]}" >/dev/null
warm=$(for _ in $(seq "$runs"); do ms "${verify[@]}"; done | median)
tls=$(for _ in $(seq "$runs"); do ms openssl s_client -connect "127.0.0.1:$port" -brief </dev/null; done | median)

awk -v c="$cold" -v w="$warm" -v t="$tls" -v n="$runs" 'BEGIN {
    printf "mse verify, cold cache (median of %d): %8.2f ms\n", n, c / 1000
    printf "mse verify, warm cache:                %8.2f ms\n", w / 1000
    printf "openssl s_client handshake:            %8.2f ms\n", t / 1000
    printf "ratio cold / handshake:                %8.2f\n", c / t
    printf "ratio warm / handshake:                %8.2f\n", w / t
}'
