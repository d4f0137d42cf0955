#!/usr/bin/env python3
"""Times a command to its first stdout line, independently of wasmfit.

usage: scripts/first-line.py [--runs N] [--warmup N] [--input FILE] [--baseline CMD] -- CMD...

Each run starts CMD as a fresh process, writes FILE to its stdin, and takes
two clocks from the same start: to the first line on stdout, and to the
process's exit (after stdin is closed). `--baseline CMD` times a second
command to its exit in the same round, interleaved (e.g. `docker container
inspect ID`: the docker CLI's own start and one API round trip). Prints one
JSON object: min/median of each clock in milliseconds.

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
    cmd = argv[1:]
    if not cmd:
        print("usage: first-line.py [options] -- CMD...", file=sys.stderr)
        return 2
    data = open(input_path, "rb").read() if input_path else b""
    first, exit_, base = [], [], []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        p.stdin.write(data)
        p.stdin.flush()
        line = p.stdout.readline()
        t1 = time.perf_counter()
        p.stdin.close()
        p.stdout.read()
        p.wait()
        t2 = time.perf_counter()
        if not line:
            print(f"run {i}: no output line (exit {p.returncode})", file=sys.stderr)
            return 1
        b = None
        if baseline:
            t3 = time.perf_counter()
            subprocess.run(baseline, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            b = (time.perf_counter() - t3) * 1000
        if i >= warmup:
            first.append((t1 - t0) * 1000)
            exit_.append((t2 - t0) * 1000)
            if b is not None:
                base.append(b)

    def summary(xs):
        return {"min": min(xs), "median": statistics.median(xs), "runs": len(xs)} if xs else None

    print(json.dumps({"first_line_ms": summary(first), "exit_ms": summary(exit_), "baseline_ms": summary(base)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
