#!/usr/bin/env python3
"""Prints the bench table (markdown) from `wasmfit bench --json-out` files:
one row per sample and side, the machine and load they came from.

Usage: scripts/bench-table.py RESULTS.json...
"""
import json
import sys


def ms(v):
    if v is None:
        return "-"
    return f"{v:.3f} ms" if v < 1 else f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"


def size(n):
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def stat(s, key="median"):
    return None if not s else s.get(key)


rows = []
machine = None
for path in sys.argv[1:]:
    r = json.load(open(path))
    machine = machine or r["machine"]
    svc = r["service"]
    for side, name in (("native", "native"), ("container", "Docker"), ("wasm", "wasmtime")):
        s = r.get(side)
        if not s:
            continue
        a = s.get("artifact") or {}
        art = f"{size(a.get('bytes'))} ({size(a.get('compressed_bytes'))} gz)"
        if a.get("precompiled_bytes"):
            art += f"; .cwasm {size(a['precompiled_bytes'])} ({size(a.get('precompiled_compressed_bytes'))} gz)"
        d = s.get("density") or {}
        tp = stat(s.get("throughput_rps"))
        cv = stat(s.get("throughput_rps"), "cv")
        rows.append([
            f"{svc['name']} ({svc['workload']})",
            name,
            f"{ms(stat(s.get('process_cold_start_ms')))} (first {ms(s.get('first_run_ms'))})",
            ms(stat(s.get("request_ms"))),
            "-" if tp is None else f"{tp:,.0f} (CV {cv*100:.0f}%)",
            f"{d.get('instances', '-')} in {size(d.get('budget_bytes'))} ({d.get('stopped_by', '')})",
            art,
        ])
    for sk in r.get("skipped", []):
        rows.append([f"{svc['name']} ({svc['workload']})", sk["what"], "not measured: " + sk["reason"], "", "", "", ""])

head = ["service", "side", "process cold start (median)", "per request", "throughput req/s", "density at budget", "artifact"]
print("| " + " | ".join(head) + " |")
print("|" + "|".join("---" for _ in head) + "|")
for row in rows:
    print("| " + " | ".join(row) + " |")
if machine:
    ls, le = machine.get("load_start"), machine.get("load_end")
    print()
    print(f"Machine: {machine.get('cpu_model')}, {machine.get('cpus')} CPUs, "
          f"{size(machine.get('memory_bytes'))}, Linux {machine.get('kernel')}; "
          f"1-minute load {ls[0] if ls else '?'} at the first run's start.")
