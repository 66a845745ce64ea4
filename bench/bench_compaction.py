#!/usr/bin/env python3
"""Compaction (issue 6): storage and ingest figures on the TSBS-like workload, from one run.

1. Loads the workload into a fresh stratad without background compaction and with a small
   memtable budget (many small flushes, as a long-running server produces), FLUSHes, runs
   COMPACT, and prints chunk bytes and the data directory's allocated bytes per point before and
   after, plus how long COMPACT took. The answers of a few queries must be the same before and
   after (checked, not assumed; floats to 1e-9 relative, as DESIGN §7 allows).
2. Loads the same workload into two more fresh servers, one with background compaction off and
   one with it on (--compact-min-files 4, default --compaction-rate), alternately, and prints
   the ingest rates and their ratio (issue 6 asks for >= 0.8).

Usage: bench/bench_compaction.py <build-dir> <workload.lp> [--budget 32MiB] [--repeat 1]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CHECK_QUERIES = [
    "SELECT count(usage_user), sum(usage_user), min(usage_user), max(usage_user) FROM cpu",
    "SELECT mean(usage_system), last(usage_idle) FROM cpu GROUP BY time(1h), hostname",
    "SELECT median(usage_user) FROM cpu WHERE hostname = 'host_7'",
]


def start_server(build, work, flags):
    port_file = os.path.join(work, "port")
    proc = subprocess.Popen([os.path.join(build, "server", "stratad"), "--data-dir",
                             os.path.join(work, "data"), "--port", "0", "--port-file", port_file,
                             "--fsync", "off", "--log-level", "warn"] + flags)
    for _ in range(300):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
            return proc, int(open(port_file).read())
        time.sleep(0.05)
    proc.kill()
    sys.exit("stratad did not start")


def command(port, text, table=True):
    """Sends one command; returns its answer lines: up to END (a table) or the one reply line."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((text + "\n").encode())
        reader = sock.makefile("r")
        lines = []
        while True:
            line = reader.readline()
            if not line:
                sys.exit(f"connection closed during {text!r}")
            lines.append(line.rstrip("\n"))
            if line.startswith("ERR "):
                sys.exit(f"{text!r}: {line.strip()}")
            if not table or line.startswith("END "):
                return lines


def stats(port):
    return {row.split("\t")[0]: int(row.split("\t")[1]) for row in command(port, "STATS")[1:-1]}


def allocated_bytes(path):
    out = subprocess.run(["du", "-s", "--block-size=1", path], check=True, capture_output=True,
                         text=True)
    return int(out.stdout.split()[0])


def load(build, port, workload):
    started = time.perf_counter()
    subprocess.run([os.path.join(build, "tools", "strata"), "--port", str(port), "load", "--quiet",
                    workload], check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def answers(port):
    return [command(port, q)[:-1] for q in CHECK_QUERIES]  # END carries a timing


def same_cell(a, b):
    """Floats to 1e-9 relative (DESIGN §7: sums may differ in the last bits when blocks are
    combined in another order, as a merge does); everything else exactly."""
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))


def same_answers(before, after):
    if len(before) != len(after):
        return False
    for rows_a, rows_b in zip(before, after):
        if len(rows_a) != len(rows_b):
            return False
        for row_a, row_b in zip(rows_a, rows_b):
            cells_a, cells_b = row_a.split("\t"), row_b.split("\t")
            if len(cells_a) != len(cells_b) or not all(map(same_cell, cells_a, cells_b)):
                return False
    return True


def storage_run(build, workload, budget):
    with tempfile.TemporaryDirectory(prefix="strata-compaction-") as work:
        proc, port = start_server(build, work, ["--memtable-budget", budget,
                                                "--compact-min-files", "0"])
        try:
            load(build, port, workload)
            command(port, "FLUSH", table=False)
            before = stats(port)
            points = before["chunk_versions"]
            du_before = allocated_bytes(os.path.join(work, "data"))
            answers_before = answers(port)
            started = time.perf_counter()
            reply = command(port, "COMPACT", table=False)[-1]
            compact_seconds = time.perf_counter() - started
            after = stats(port)
            du_after = allocated_bytes(os.path.join(work, "data"))
            answers_after = answers(port)
            if not same_answers(answers_before, answers_after):
                for q, before_rows, after_rows in zip(CHECK_QUERIES, answers_before, answers_after):
                    diff = [(x, y) for x, y in zip(before_rows, after_rows) if x != y]
                    if diff or len(before_rows) != len(after_rows):
                        print(f"{q}: {len(before_rows)} vs {len(after_rows)} rows; first "
                              f"differences {diff[:3]}")
                sys.exit("answers differ after COMPACT")
            print(f"points: {points}")
            print(f"before COMPACT: {before['chunk_files']} files, chunk bytes "
                  f"{before['chunk_bytes']} ({before['chunk_bytes'] / points:.3f} B/point), data "
                  f"directory {du_before} allocated ({du_before / points:.3f} B/point)")
            print(f"after COMPACT:  {after['chunk_files']} files, chunk bytes "
                  f"{after['chunk_bytes']} ({after['chunk_bytes'] / points:.3f} B/point), data "
                  f"directory {du_after} allocated ({du_after / points:.3f} B/point)")
            print(f"COMPACT: {reply} in {compact_seconds:.2f} s; answers identical (floats to 1e-9)")
        finally:
            proc.terminate()
            proc.wait()


def ingest_run(build, workload, budget, background):
    flags = ["--memtable-budget", budget, "--compact-min-files", "4" if background else "0"]
    with tempfile.TemporaryDirectory(prefix="strata-compaction-") as work:
        proc, port = start_server(build, work, flags)
        try:
            seconds = load(build, port, workload)
            s = stats(port)
            return s["chunk_versions"] + s["memtable_points"], seconds, s
        finally:
            proc.terminate()
            proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build")
    parser.add_argument("workload")
    parser.add_argument("--budget", default="32MiB", help="stratad --memtable-budget")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    storage_run(args.build, args.workload, args.budget)
    ratios = []
    for i in range(args.repeat):
        points, alone, _ = ingest_run(args.build, args.workload, args.budget, False)
        _, with_bg, s = ingest_run(args.build, args.workload, args.budget, True)
        ratios.append(alone / with_bg)
        print(f"ingest run {i + 1}: without compaction {points / alone:,.0f} points/s; with "
              f"background compaction {points / with_bg:,.0f} points/s "
              f"({s['compactions']} compactions, {s['compaction_bytes_read']} bytes read, "
              f"{s['compaction_ms']} ms in jobs during the load); with/without {ratios[-1]:.2f}")
    if ratios:
        print(f"median ingest rate with/without background compaction over {len(ratios)} "
              f"runs: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
