#!/usr/bin/env python3
"""Times a command to its first stdout line, independently of wasmfit.

usage: scripts/first-line.py [--runs N] [--warmup N] [--input FILE] [--baseline CMD] -- CMD... [-- CMD...]

Each run starts CMD as a fresh process, writes FILE to its stdin, and takes
two clocks from the same start: to the first line on stdout, and to the
process's exit (after stdin is closed). `--baseline CMD` times a second
command to its exit in the same round, interleaved (e.g. `docker container
inspect ID`: the docker CLI's own start and one API round trip). Prints one
JSON object: min/median of each clock in milliseconds.

With several commands (each after its own `--`), every round starts each
of them once, the first command rotating every round, the order in which
`wasmfit bench` interleaves its sides; it prints a JSON list, one object
per command. The order matters on a small machine: a process started right
after a different one (or after a pause) starts slower than the same
binary started back to back.

`bench-targets.sh` uses it for the container's process cold start, whose
clock in `wasmfit bench` ends at the first answer line: hyperfine can only
time a command to its exit, which for `docker run` adds the CLI's start and
the wait for the container to stop.
"""
import json
import statistics
import subprocess
import sys
import time


def main(argv):
    runs, warmup, input_path, baseline = 15, 2, None, None
    while argv and argv[0] != "--":
        opt = argv.pop(0)
        if opt == "--runs":
            runs = int(argv.pop(0))
        elif opt == "--warmup":
            warmup = int(argv.pop(0))
        elif opt == "--input":
            input_path = argv.pop(0)
        elif opt == "--baseline":
            baseline = argv.pop(0).split()
        else:
            print(f"unknown option {opt}", file=sys.stderr)
            return 2
    cmds, cur = [], None
    for a in argv:
        if a == "--":
            cur = []
            cmds.append(cur)
        else:
            cur.append(a)
    cmds = [c for c in cmds if c]
    if not cmds:
        print("usage: first-line.py [options] -- CMD... [-- CMD...]", file=sys.stderr)
        return 2
    data = open(input_path, "rb").read() if input_path else b""
    first = [[] for _ in cmds]
    exit_ = [[] for _ in cmds]
    base = []
    for i in range(warmup + runs):
        for k in range(len(cmds)):
            j = (i + k) % len(cmds)
            t0 = time.perf_counter()
            p = subprocess.Popen(cmds[j], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            p.stdin.write(data)
            p.stdin.flush()
            line = p.stdout.readline()
            t1 = time.perf_counter()
            p.stdin.close()
            p.stdout.read()
            p.wait()
            t2 = time.perf_counter()
            if not line:
                print(f"run {i}: no output line from {cmds[j][0]} (exit {p.returncode})", file=sys.stderr)
                return 1
            if i >= warmup:
                first[j].append((t1 - t0) * 1000)
                exit_[j].append((t2 - t0) * 1000)
        if baseline:
            t3 = time.perf_counter()
            subprocess.run(baseline, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i >= warmup:
                base.append((time.perf_counter() - t3) * 1000)

    def summary(xs):
        return {"min": min(xs), "median": statistics.median(xs), "runs": len(xs)} if xs else None

    out = [
        {"first_line_ms": summary(f), "exit_ms": summary(e), "baseline_ms": summary(base)}
        for f, e in zip(first, exit_)
    ]
    print(json.dumps(out[0] if len(out) == 1 else out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
