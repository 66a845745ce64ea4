#!/usr/bin/env python3
"""Rollups (issue 6): answers equal raw data, and how much faster a dashboard query gets.

1. Loads the TSBS-like workload into a fresh stratad, FLUSHes, and creates rollups of cpu every
   1m and every 1h (timing each CREATE).
2. Checks that every statement of a set (all aggregates a rollup answers, GROUP BY time at
   several widths, offsets, tag groups, time ranges cutting buckets) gives the same rows from
   the rollup as from raw data: the same statement with `AS OF now()`, which never reads a
   rollup. Floats to 1e-9 relative (DESIGN §7). EXPLAIN must name the rollup.
3. Times peers' Q2 over the whole data set (mean of usage_user per hour, every host) and as the
   peers run it (one host), and Q3 (per region), from the rollup and forced onto raw data:
   median client wall time and server time (the END line) of --runs runs, alternating.
4. Loads the 1 % corrections (the tail of the `_c0.01` workload: rewrites of existing points
   with other values, late writes into old buckets), then late writes at new times and a DELETE,
   and checks again before and after FLUSH; count and sum of usage_user must also equal the
   generator's last-write-wins figures (an independent computation).
5. Loads ../shared/data (NAB, Melbourne temperatures, Vega weather), rolls every measurement up
   every 1h and 1d, checks every numeric field, rewrites 1 % of the lines with other values and
   checks again before and after FLUSH.

Usage: bench/bench_rollups.py <build-dir> <workload.lp> <workload_c0.01.lp> [--runs 21]
Exit 1 if any answer differs.
"""

import argparse
import glob
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_compaction as bc  # noqa: E402  (start_server, command, stats, load)

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_DATA = os.path.join(HERE, "..", "..", "shared", "data")
JAN1 = "2026-01-01T00:00:00Z"
JAN2 = "2026-01-02T00:00:00Z"
ALL_AGGS = ["count", "sum", "mean", "min", "max", "first", "last", "spread"]


def aggs(field, kinds=ALL_AGGS):
    return ", ".join(f"{k}({field})" for k in kinds)


CPU_CHECKS = [
    f"SELECT {aggs('usage_user')} FROM cpu GROUP BY time(1h)",
    f"SELECT {aggs('usage_system')} FROM cpu GROUP BY time(1m), hostname",
    f"SELECT {aggs('usage_idle')} FROM cpu GROUP BY time(15m, 5m), region FILL(0)",
    "SELECT mean(usage_user), max(usage_iowait), min(usage_nice) FROM cpu GROUP BY time(2h), "
    "datacenter",
    f"SELECT {aggs('usage_steal')} FROM cpu",
    f"SELECT {aggs('usage_guest')} FROM cpu WHERE time >= '2026-01-01T03:17:25Z' AND "
    "time < '2026-01-01T19:02:05Z' GROUP BY time(1h), hostname",
    "SELECT sum(usage_softirq), count(usage_irq) FROM cpu WHERE hostname =~ /host_1[0-9]/ "
    "GROUP BY time(30m) ORDER BY time DESC LIMIT 5",
    f"SELECT mean(usage_user) FROM cpu WHERE hostname = 'host_0' AND time >= '{JAN1}' AND "
    f"time < '{JAN2}' GROUP BY time(1h)",
    f"SELECT mean(usage_user) FROM cpu WHERE time >= '{JAN1}' AND time < '{JAN2}' "
    "GROUP BY time(1h), region",
]

TIMED = [
    ("Q2, whole data set (every host)", "SELECT mean(usage_user) FROM cpu GROUP BY time(1h)"),
    ("Q2 (one host, as the peers run it)",
     f"SELECT mean(usage_user) FROM cpu WHERE hostname = 'host_0' AND time >= '{JAN1}' AND "
     f"time < '{JAN2}' GROUP BY time(1h)"),
    ("Q3 (per region)", f"SELECT mean(usage_user) FROM cpu WHERE time >= '{JAN1}' AND "
     f"time < '{JAN2}' GROUP BY time(1h), region"),
    ("dashboard: 5 aggregates per host per hour",
     "SELECT count(usage_user), mean(usage_user), min(usage_user), max(usage_user), "
     "last(usage_user) FROM cpu GROUP BY time(1h), hostname"),
]


class Client:
    """One persistent connection; returns (lines without END, server micros, wall seconds)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("r")

    def table(self, text):
        started = time.perf_counter()
        self.sock.sendall((text + "\n").encode())
        lines = []
        while True:
            line = self.reader.readline()
            if not line:
                sys.exit(f"connection closed during {text!r}")
            line = line.rstrip("\n")
            if line.startswith("ERR"):
                sys.exit(f"{text!r}: {line}")
            if line.startswith("END "):
                return lines, int(line.split()[2]), time.perf_counter() - started
            lines.append(line)

    def reply(self, text):
        self.sock.sendall((text + "\n").encode())
        line = self.reader.readline().rstrip("\n")
        if not line.startswith("OK"):
            sys.exit(f"{text!r}: {line}")
        return line


def close_enough(a, b):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))


def same_rows(a, b):
    return len(a) == len(b) and all(
        len(ra) == len(rb) and all(close_enough(x, y) for x, y in zip(ra, rb))
        for ra, rb in zip((r.split("\t") for r in a), (r.split("\t") for r in b)))


class Checker:
    def __init__(self, client):
        self.client = client
        self.compared = 0
        self.from_rollup = 0
        self.failures = []

    def check(self, query, where):
        rolled, _, _ = self.client.table(query)
        raw, _, _ = self.client.table(query + " AS OF now()")
        self.compared += 1
        plan, _, _ = self.client.table("EXPLAIN " + query)
        if not any(p.startswith("rollups: ") and not p.startswith("rollups: none") for p in plan):
            self.failures.append(f"{where}: no rollup answered {query!r}")
        else:
            self.from_rollup += 1
        if not same_rows(rolled, raw):
            diff = next((i for i, (x, y) in enumerate(zip(rolled, raw)) if not same_rows([x], [y])),
                        min(len(rolled), len(raw)))
            self.failures.append(f"{where}: {query!r}: rollup and raw differ at row {diff} "
                                 f"({len(rolled)} vs {len(raw)} rows)")

    def report(self, label):
        print(f"  {label}: {self.compared} statements compared, {self.from_rollup} read a rollup, "
              f"{len(self.failures)} differ")


def median_ms(values):
    return statistics.median(values) * 1000


def timed(client, query, runs):
    """Alternating rollup / raw runs after a warm-up of each; (wall ms, server ms) medians."""
    walls = {False: [], True: []}
    servers = {False: [], True: []}
    for forced in (False, True):
        client.table(query + (" AS OF now()" if forced else ""))
    for _ in range(runs):
        for forced in (False, True):
            _, micros, wall = client.table(query + (" AS OF now()" if forced else ""))
            walls[forced].append(wall)
            servers[forced].append(micros / 1e6)
    return {k: (median_ms(walls[k]), median_ms(servers[k])) for k in (False, True)}


def timed_cold(client, query, runs):
    """The rollup statement right after a flush, when the rollup cache holds nothing current
    (a flush starts a new epoch): (wall ms, server ms) medians. The flushed point lands in a
    measurement of its own, so the timed statement's answer does not change."""
    walls, servers = [], []
    for i in range(runs):
        client.sock.sendall(f"bench_epoch v={i} {1_700_000_000_000_000_000 + i}\n".encode())
        client.reply("FLUSH")
        _, micros, wall = client.table(query)
        walls.append(wall)
        servers.append(micros / 1e6)
    return median_ms(walls), median_ms(servers)


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def rewrite_values(line, rng):
    """The same series and time with every float field changed: a correction."""
    head, fields, ts = line.rsplit(" ", 2)
    out = []
    for kv in fields.split(","):
        key, value = kv.split("=", 1)
        if value[-1:] not in ("i", "u", '"') and value not in ("true", "false", "t", "f"):
            try:
                value = repr(round(float(value) + rng.uniform(-5, 5), 3))
            except ValueError:
                pass
        out.append(f"{key}={value}")
    return f"{head} {','.join(out)} {ts}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("workload")
    ap.add_argument("corrected")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    meta = json.load(open(args.corrected + ".meta.json"))
    failures = []
    with tempfile.TemporaryDirectory(prefix="bench-rollups-") as work:
        proc, port = bc.start_server(args.build, work, [])
        try:
            load_s = bc.load(args.build, port, args.workload)
            client = Client(port)
            client.reply("FLUSH")
            print(f"loaded {args.workload} in {load_s:.1f} s")
            for name, every in (("cpu_1m", "1m"), ("cpu_1h", "1h")):
                started = time.perf_counter()
                client.reply(f"CREATE ROLLUP {name} ON cpu EVERY {every}")
                print(f"CREATE ROLLUP {name} ON cpu EVERY {every}: "
                      f"{time.perf_counter() - started:.2f} s")

            checker = Checker(client)
            for q in CPU_CHECKS:
                checker.check(q, "after load")
            checker.report("TSBS workload")
            failures += checker.failures

            print(f"timings, median of {args.runs} alternating runs (client wall ms / server ms):")
            for label, q in TIMED:
                t = timed(client, q, args.runs)
                (rw, rs), (fw, fs) = t[False], t[True]
                cw, cs = timed_cold(client, q, max(3, args.runs // 4))
                print(f"  {label}: rollup {rw:.3f} / {rs:.3f}, raw {fw:.3f} / {fs:.3f}: "
                      f"{fw / rw:.1f}x wall, {fs / rs:.1f}x server; first statement after a "
                      f"flush (rollup cache cold) {cw:.3f} / {cs:.3f}: {fw / cw:.1f}x wall, "
                      f"{fs / cs:.1f}x server")
                print(f"    {q}")

            # 1 % corrections: the generator's correction rows, after the main rows.
            with open(args.corrected) as f:
                tail = [line.rstrip("\n") for i, line in enumerate(f) if i >= meta["main_rows"]]
            corrections = os.path.join(work, "corrections.lp")
            write_lines(corrections, tail)
            bc.load(args.build, port, corrections)
            checker = Checker(client)
            for q in CPU_CHECKS:
                checker.check(q, "after 1% corrections, unflushed")
            rows, _, _ = client.table("SELECT count(usage_user), sum(usage_user) FROM cpu")
            count, total = rows[1].split("\t")
            lww = meta["usage_user_last_write_wins"]
            if int(count) != lww["count"] or not abs(float(total) - lww["sum"]) <= 1e-9 * lww["sum"]:
                failures.append(f"usage_user count/sum {count}/{total} after corrections, "
                                f"generator says {lww['count']}/{lww['sum']}")
            # Late writes at new times in old buckets, and a delete across bucket edges.
            rng = random.Random(42)
            late = [f"cpu,hostname=host_{rng.randrange(100)},region=late usage_user="
                    f"{rng.uniform(0, 100):.2f} {1767225600000000000 + rng.randrange(86400) * 10**9 + 5 * 10**8}"
                    for _ in range(2000)]
            late_path = os.path.join(work, "late.lp")
            write_lines(late_path, late)
            bc.load(args.build, port, late_path)
            client.table("SELECT count(usage_user) FROM cpu")  # the writes are visible
            bc.command(port, "DELETE FROM cpu WHERE hostname = 'host_3' AND "
                             "time >= '2026-01-01T05:30:00Z' AND time < '2026-01-01T07:45:10Z'",
                       table=False)
            for q in CPU_CHECKS:
                checker.check(q, "after late writes and a delete, unflushed")
            client.reply("FLUSH")
            for q in CPU_CHECKS:
                checker.check(q, "after corrections, late writes and a delete, flushed")
            checker.report("TSBS workload with 1% corrections, late writes, a delete")
            failures += checker.failures

            # ../shared/data: every measurement and numeric field.
            shared = sorted(glob.glob(os.path.join(SHARED_DATA, "*", "*.lp")))
            for path in shared:
                bc.load(args.build, port, path)
            client.reply("FLUSH")
            fields, _, _ = client.table("SHOW FIELD KEYS")
            numeric = [r.split("\t")[:2] for r in fields[1:]
                       if r.split("\t")[2] in ("float", "integer", "unsigned")
                       and r.split("\t")[0] not in ("cpu", "bench_epoch")]
            for m in sorted({m for m, _ in numeric}):
                for every in ("1h", "1d"):
                    client.reply(f"CREATE ROLLUP {m}_{every} ON {m} EVERY {every}")
            shared_checks = []
            for m, f in numeric:
                shared_checks += [
                    f'SELECT {aggs(chr(34) + f + chr(34))} FROM "{m}" GROUP BY time(1d), region',
                    f'SELECT {aggs(chr(34) + f + chr(34))} FROM "{m}" GROUP BY time(7d) FILL(none)',
                    f'SELECT {aggs(chr(34) + f + chr(34), ["count", "sum", "mean"])} FROM "{m}"',
                ]
            checker = Checker(client)
            for q in shared_checks:
                checker.check(q, "shared data")
            rng = random.Random(7)
            rewritten = []
            for path in shared:
                with open(path) as f:
                    lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
                rewritten += [rewrite_values(l, rng) for l in rng.sample(lines, len(lines) // 100)]
            fixes = os.path.join(work, "shared_fixes.lp")
            write_lines(fixes, rewritten)
            bc.load(args.build, port, fixes)
            for q in shared_checks:
                checker.check(q, "shared data after 1% corrections, unflushed")
            client.reply("FLUSH")
            for q in shared_checks:
                checker.check(q, "shared data after 1% corrections, flushed")
            checker.report(f"../shared/data ({len(shared)} files, {len(rewritten)} lines "
                           "rewritten)")
            failures += checker.failures
            lag = bc.stats(port)
            print(f"STATS rollups {lag['rollups']}, rollup_lag_ms {lag['rollup_lag_ms']}")
        finally:
            proc.terminate()
            proc.wait(60)
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
