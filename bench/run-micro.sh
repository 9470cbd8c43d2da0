#!/usr/bin/env bash
# Builds the micro-benchmarks (Release, build-bench) and runs them all in one go, then prints a
# summary in which the protocol core's figures stand next to the raw library figures measured
# in the same run, with the ratios the project's targets are stated in:
#   transport encryption through the core >= 80% of the raw library AEAD rate at 1420 bytes;
#   >= 5,000 full handshakes per second per core.
# These are figures to read, not a test: nothing fails on a slow or noisy machine.
#
#   bench/run-micro.sh                   (WGD_BENCH_BUILD=DIR to build elsewhere,
#                                         WGD_BENCH_REPETITIONS=N, default 5: medians are shown)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${WGD_BENCH_BUILD:-$ROOT/build-bench}
REPS=${WGD_BENCH_REPETITIONS:-5}
OUT=$BUILD/bench-results

mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWGD_BENCH=ON -DWGD_TESTS=OFF \
  >"$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log"; exit 1; }
BENCHES=(crypto_bench core_bench)
if ninja -C "$BUILD" -t targets all 2>/dev/null | grep -q '^allowed_ips_bench:'; then
  BENCHES+=(allowed_ips_bench)
fi
ninja -C "$BUILD" "${BENCHES[@]}" >"$BUILD/build.log" 2>&1 || { tail -n 50 "$BUILD/build.log"; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT"
for b in "${BENCHES[@]}"; do
  echo "== $b"
  args=(--benchmark_out="$OUT/$b.json" --benchmark_out_format=json --benchmark_counters_tabular=true)
  # allowed_ips_bench sets its own repetitions; the others get REPS and report aggregates.
  if [ "$b" != allowed_ips_bench ]; then
    args+=(--benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true)
  fi
  "$BUILD/bench/$b" "${args[@]}"
done

python3 - "$OUT" "${BENCHES[@]}" <<'PY'
import json, os, sys

out, benches = sys.argv[1], sys.argv[2:]

def medians(bench):
    with open(os.path.join(out, bench + ".json")) as f:
        data = json.load(f)
    rows = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            rows[b["run_name"]] = b
    return data["context"], rows

def find(rows, prefix):
    # The benchmark named exactly so, or the one whose name starts with PREFIX/ (Google
    # Benchmark appends "/manual_time" and the like); several candidates (seal/openssl/96,
    # seal/openssl/1420, ...) are an error, not the first one of them.
    if prefix in rows:
        return rows[prefix]
    found = [row for name, row in rows.items() if name.startswith(prefix + "/")]
    if len(found) != 1:
        raise SystemExit(f"benchmark {prefix}: {len(found)} results match, expected one")
    return found[0]

MiB = 1024 * 1024
ctx, crypto = medians("crypto_bench")
_, core = medians("core_bench")
mbps = lambda r: r["bytes_per_second"] / MiB
print()
load = os.getloadavg()[0]
print(f"Summary (medians of the runs; {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz; "
      f"load average {load:.1f} at the end: rates are per CPU-second, so a busy machine lowers "
      f"them less than it lengthens the run)")
print()
print("AEAD at 1420 bytes                        seal MiB/s   open MiB/s")
raw = {}
for label, key in (("raw OpenSSL", "openssl"), ("raw libsodium", "sodium"),
                   ("raw, the data path's choice", "data_path")):
    s, o = find(crypto, f"seal/{key}/1420"), find(crypto, f"open/{key}/1420")
    raw[key] = (mbps(s), mbps(o))
    print(f"  {label:38} {mbps(s):10.0f}   {mbps(o):10.0f}")
best_seal = max(v[0] for v in raw.values())
best_open = max(v[1] for v in raw.values())
cs, co = mbps(find(core, "seal")), mbps(find(core, "open"))
ss, rp = mbps(find(core, "send_path")), mbps(find(core, "receive_path"))
print(f"  {'core Device::seal / Device::open':38} {cs:10.0f}   {co:10.0f}")
print(f"  {'core Device::send / Device::receive':38} {ss:10.0f}   {rp:10.0f}")
print()
print("Ratios (core / raw)                       seal         open")
for label, (s, o) in (("core step vs the same library", raw["data_path"]),
                      ("core step vs the fastest library", (best_seal, best_open))):
    print(f"  {label:38} {cs / s:10.0%}   {co / o:10.0%}")
print(f"  {'whole-packet path vs the fastest':38} {ss / best_seal:10.0%}   {rp / best_open:10.0%}")
print()
hs_full = find(core, "handshake_full")["handshakes/s"]
hs_resp = find(core, "handshake_responder")["handshakes/s"]
hs_init = find(core, "handshake_initiator")["handshakes/s"]
x_dh = find(crypto, "x25519_sodium")["ops/s"]
x_pub = find(crypto, "x25519_public_decaf")["ops/s"]
x_pub_sodium = find(crypto, "x25519_public_sodium_reference")["ops/s"]
x_ossl = find(crypto, "x25519_openssl_reference")["ops/s"]
print("Handshakes (initiation + response + first data packet, one core)")
print(f"  both sides' work                       {hs_full:10.0f} /s")
print(f"  the responder's share alone            {hs_resp:10.0f} /s")
print(f"  the initiator's share alone            {hs_init:10.0f} /s")
print(f"  X25519: DH libsodium {x_dh:.0f}/s (OpenSSL, key objects made beforehand: {x_ossl:.0f}/s); "
      f"public key libdecaf {x_pub:.0f}/s (libsodium: {x_pub_sodium:.0f}/s)")
# A handshake does 6 DH with a variable point and 2 public keys (the static-static DH is
# precomputed per peer): these alone bound both sides' rate, at the crypto layer's rates and at
# the fastest DH on offer with nothing else counted.
bound = 1 / (6 / x_dh + 2 / x_pub)
bound_best = 1 / (6 / max(x_dh, x_ossl) + 2 / x_pub)
print(f"  6 DH + 2 public keys per handshake bound both sides' work at {bound:.0f} /s "
      f"({bound_best:.0f} /s at the fastest DH measured)")
print()
enc_ratio = cs / best_seal
print("Targets")
print(f"  transport encryption >= 80% of raw AEAD at 1420 B: {enc_ratio:.0%} "
      f"(core seal vs the fastest raw seal) -> {'met' if enc_ratio >= 0.8 else 'NOT met'}")
print(f"  >= 5,000 full handshakes/s per core: both sides' work {hs_full:.0f}/s -> "
      f"{'met' if hs_full >= 5000 else 'NOT met'}; each side's share: responder (a server's) "
      f"{hs_resp:.0f}/s, initiator {hs_init:.0f}/s -> "
      f"{'met' if min(hs_resp, hs_init) >= 5000 else 'NOT met'}")

if "allowed_ips_bench" in benches:
    _, aips = medians("allowed_ips_bench")
    print()
    print("Allowed IPs (medians)")
    for name, row in aips.items():
        rates = [(k, row[k]) for k in ("lookups", "inserts", "prefixes_removed") if k in row]
        text = ", ".join(f"{k} {v / 1e6:.2f} M/s" for k, v in rates)
        print(f"  {name:38} {text}")
PY
