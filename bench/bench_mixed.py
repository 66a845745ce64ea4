#!/usr/bin/env python3
"""Mixed load (issue 8, item 4): ingest at 50 % of the maximum rate while dashboards query.

On the TSBS-like workload (100 hosts x 1 day, 8,640,000 points), each of --runs runs:
  1. maximum ingest rate: `strata load` (one connection, ends with SYNC) into a fresh
     `stratad --fsync always`; points / wall time;
  2. mixed: a fresh `stratad --fsync always`; a paced writer (a separate process, so it does not
     share the query client's interpreter lock) sends the file over one TCP connection in
     batches of --batch lines, sleeping to hold --fraction (0.5) of this run's maximum rate,
     and ends with SYNC (every point durable and visible); meanwhile one query client loops
     dashboard queries back to back until the writer is done:
       Q2        mean(usage_user) per hour of one random host over the day (the peers' Q2)
       Q3        mean(usage_user) per hour per region over the day (the peers' Q3)
       lastpoint last(*) per hostname
       recent5m  max(usage_user) per minute per hostname over the 5 minutes up to the newest
                 point the writer has sent
     Reported: the ingest rate reached (points / first byte -> SYNC answered) beside the
     target, and query latency p50/p90/p99/max per query type and in total;
  3. baseline: the same query loop, as many queries (at most --max-baseline), against the same
     server once idle,
     holding all the data (recent5m then ends at the last point of the file).
After the load the whole data set is checked: count(*) and mean(usage_user) against the
generator's figures (the .meta.json beside the workload).
Figures are medians over the runs. Every timed step holds /tmp/strata-bench.lock after the
machine is quiet (see bench_cardinality.timed_step); foreign CPU is recorded.

Usage: bench/bench_mixed.py [--build-dir build/release] [--data build/bench-data/cpu_h100_d1_s42.lp]
Writes bench/results/mixed.json and the mixed section of BENCHMARKS.md.
"""

import argparse
import json
import math
import multiprocessing as mp
import os
import random
import resource
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_cardinality as bcard  # noqa: E402  (Strata, timed_step, write_section, med, log)
import bench_queries as bq  # noqa: E402  (HttpClient, vm_range, vm_instant, vm_path)
import bench_rollups as br  # noqa: E402  (Client)

rp = bcard.rp          # ../shared/peers/run_peer.py
load = rp.load         # ../shared/peers/load.py: split_lines
log = bcard.log
JAN1, JAN2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
KINDS = ["Q2", "Q3", "lastpoint", "recent5m"]
VM_RECENT = "max by (hostname) (max_over_time(cpu_usage_user[1m]))"
VM_SHOWN = {  # the PromQL of vm_spec() as the report shows it
    "Q2": '/api/v1/query_range step=1h, 01:00..24:00: avg_over_time(cpu_usage_user{hostname="host_N"}[1h])',
    "Q3": "/api/v1/query_range step=1h, 01:00..24:00: sum by (region) (sum_over_time(cpu_usage_user[1h])) "
          "/ sum by (region) (count_over_time(cpu_usage_user[1h]))",
    "lastpoint": '/api/v1/query at 2026-01-02T00:00:00Z: last_over_time({__name__=~"cpu_.*"}[1d])',
    "recent5m": "/api/v1/query_range step=60s, T-4m..T: " + VM_RECENT}


def query_text(kind, rng, newest_ns, hosts):
    if kind == "Q2":
        return ("SELECT mean(usage_user) FROM cpu WHERE hostname = 'host_%s' AND time >= '%s' AND "
                "time < '%s' GROUP BY time(1h)" % (rng.randrange(hosts), JAN1, JAN2))
    if kind == "Q3":
        return ("SELECT mean(usage_user) FROM cpu WHERE time >= '%s' AND time < '%s' "
                "GROUP BY time(1h), region" % (JAN1, JAN2))
    if kind == "lastpoint":
        return "SELECT last(*) FROM cpu GROUP BY hostname"
    return ("SELECT max(usage_user) FROM cpu WHERE time > %s - 5m AND time <= %s "
            "GROUP BY time(1m), hostname" % (newest_ns, newest_ns))


# ------------------------------------------------------------------ paced writer (child process)
def writer_main(path, port, rate, batch, sync, ready, go, newest, result):
    """Reads and splits the file before the clock starts; then sends batch i no earlier than
    t0 + points_before_i / rate (so it never runs ahead of the target; it falls behind only if
    the server or the socket is slower). Strata: then SYNC (durable and visible). VictoriaMetrics
    (its influx TCP port has no acknowledgement): half-close, wait for the server to close.
    Publishes the newest timestamp sent, for the recent5m query."""
    with open(path, "rb") as f:
        data = f.read()
    ranges = load.split_lines(data, 0, None, batch)
    view = memoryview(data)
    sock = socket.create_connection(("127.0.0.1", port))
    ready.set()
    go.wait()
    t0 = time.perf_counter()
    t_start = time.time()
    sent = 0
    max_behind = 0.0
    for s, e, n in ranges:
        due = t0 + sent * 10 / rate
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        else:
            max_behind = max(max_behind, now - due)
        sock.sendall(view[s:e])
        sent += n
        newest.value = int(data[data.rfind(b" ", s, e - 1) + 1:e - 1])
    t_sent = time.perf_counter()
    errors = []
    line = None
    if sync:
        sock.sendall(b"SYNC\n")
        reader = sock.makefile("rb")
        while True:
            line = reader.readline().decode().strip()
            if not line or line.startswith("OK"):
                break
            errors.append(line)
    else:
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    wall = time.perf_counter() - t0
    sock.close()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    result.put({"lines": sent, "points": sent * 10, "t_start": t_start, "wall_s": wall,
                "send_s": t_sent - t0, "sync_s": wall - (t_sent - t0),
                "points_per_s_acked": sent * 10 / wall, "target_points_per_s": rate,
                "max_behind_schedule_s": round(max_behind, 3), "sync_reply": line,
                "errors": errors[:10], "writer_cpu_s": ru.ru_utime + ru.ru_stime})


# ------------------------------------------------------------------ the two systems
class StrataSystem:
    name, label, sync = "strata", "Strata", True

    def __init__(self, args):
        self.args = args

    def start(self):
        server = bcard.Strata(self.args.build_dir)
        server.start()
        server.write_port = server.port
        return server

    def max_load(self, server, meta):
        """Seconds from the first byte to SYNC answered (durable and visible)."""
        t0, t1 = server.load(self.args.data)
        return {"until_queryable_s": t1 - t0}

    def until_queryable(self, server, w, meta):
        return {"until_queryable_s": w["wall_s"], "ok": w["sync_reply"] is not None}

    def client(self, server):
        return StrataQueries(server.port)

    def check(self, server, meta):
        client = br.Client(server.port)
        rows, _, _ = client.table("SELECT count(*), mean(usage_user) FROM cpu")
        client.sock.close()
        cells = rows[1].split("\t")
        return check_figures(sum(int(c) for c in cells[:-1]), float(cells[-1]), meta)


class VictoriaSystem:
    name, label, sync = "victoria", "VictoriaMetrics", False

    def __init__(self, args):
        self.args = args

    def start(self):
        server = bcard.Victoria(bcard.victoria_args())
        bcard.wait_ports_free([server.port] + server.other_ports)
        server.wipe()
        server.start()
        server.write_port = server.tcp_port
        return server

    def max_load(self, server, meta):
        """The peers' best setting (raw TCP, one connection); until the count shows every point."""
        r = load.run(self.args.data, "tcp://127.0.0.1:%d" % server.tcp_port, 5000, 1, max_seconds=1800)
        w = rp.wait_count(server, meta["main_points"], r["t_start"])
        return {"until_queryable_s": w["t_since_ref_s"], "ok": w["ok"], "acked_s": r["wall_s"]}

    def until_queryable(self, server, w, meta):
        c = rp.wait_count(server, meta["main_points"], w["t_start"])
        return {"until_queryable_s": c["t_since_ref_s"], "ok": c["ok"], "polls": c["polls"]}

    def client(self, server):
        return VictoriaQueries(server.port)

    def check(self, server, meta):
        q1 = server.q1()
        return check_figures(q1.get("count", 0) * 10, q1.get("mean"), meta)


def check_figures(count, mean, meta):
    want = meta["usage_user_original"]
    return {"count": count, "mean_usage_user": mean, "ok": count == meta["main_points"] and
            mean is not None and abs(mean - want["mean"]) <= 1e-9 * abs(want["mean"])}


class StrataQueries:
    def __init__(self, port):
        self.c = br.Client(port)

    def run(self, kind, rng, newest_ns, hosts):
        rows, _, wall = self.c.table(query_text(kind, rng, newest_ns, hosts))
        return wall, len(rows) - 1

    def close(self):
        self.c.sock.close()


def vm_spec(kind, rng, newest_ns, hosts):
    """The same four dashboards in PromQL (MetricsQL): range queries step 1h over the day (the
    peers' Q2/Q3), the last value of every field per host, max per minute and host up to T."""
    s, e = rp.T_DAY_START + 3600, rp.T_DAY_END
    if kind == "Q2":
        return bq.vm_range('avg_over_time(cpu_usage_user{hostname="host_%s"}[1h])' % rng.randrange(hosts), s, e, "1h")
    if kind == "Q3":
        return bq.vm_range(rp.Victoria.Q3, s, e, "1h")
    if kind == "lastpoint":
        return bq.vm_instant('last_over_time({__name__=~"cpu_.*"}[1d])', e)
    t = newest_ns // 10**9
    return bq.vm_range(VM_RECENT, t - 240, t, 60)


class VictoriaQueries:
    def __init__(self, port):
        self.c = bq.HttpClient(port)

    def run(self, kind, rng, newest_ns, hosts):
        t0 = time.perf_counter()
        st, body = self.c.get(bq.vm_path(vm_spec(kind, rng, newest_ns, hosts)))
        wall = time.perf_counter() - t0
        if st != 200:
            raise RuntimeError("VictoriaMetrics %s: %d %s" % (kind, st, body[:200]))
        return wall, len(json.loads(body)["data"]["result"])

    def close(self):
        self.c.close()


# ------------------------------------------------------------------ query loop
def query_loop(client, rng, hosts, newest_ns, stop, max_queries=None):
    """Back to back, one connection, the four kinds in turn; (kind, wall ms, rows) per query."""
    out = []
    i = 0
    while not stop() and (max_queries is None or i < max_queries):
        kind = KINDS[i % len(KINDS)]
        wall, rows = client.run(kind, rng, newest_ns(), hosts)
        out.append((kind, round(wall * 1000, 3), rows))
        i += 1
    client.close()
    return out


def pct(xs, p):
    """Nearest-rank percentile."""
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)] if xs else None


def percentiles(samples):
    out = {}
    for kind in KINDS + ["total"]:
        xs = [ms for k, ms, _ in samples if kind in (k, "total")]
        out[kind] = {"n": len(xs), "p50": pct(xs, 50), "p90": pct(xs, 90), "p99": pct(xs, 99),
                     "max": max(xs) if xs else None}
    return out


# ------------------------------------------------------------------ one run
def run_once(args, system, meta, run_no):
    out = {"run": run_no, "system": system.name}
    points = meta["main_points"]
    server = None
    try:                                           # 1. maximum rate
        server = system.start()
        with bcard.timed_step(server, args.quiet_max_wait) as step:
            m = system.max_load(server, meta)
        m.update(points_per_s=points / m["until_queryable_s"], step=step, status=server.status(),
                 check=system.check(server, meta))
        out["max"] = m
    finally:
        if server:
            server.stop()
    rate = args.fraction * out["max"]["points_per_s"]
    log("run %d %s: max %.0f points/s; mixed at %.0f points/s" % (run_no, system.name, m["points_per_s"], rate))

    ctx = mp.get_context("fork")
    writer = server = None
    try:                                           # 2. mixed
        server = system.start()
        out["cmd"] = server.cmd if system.name == "strata" else server.cmd()
        ready, go, newest, result = ctx.Event(), ctx.Event(), ctx.Value("q", meta["start_ns"]), ctx.Queue()
        writer = ctx.Process(target=writer_main, args=(args.data, server.write_port, rate, args.batch,
                                                       system.sync, ready, go, newest, result))
        writer.start()
        if not ready.wait(300):
            raise RuntimeError("writer not ready")
        rng = random.Random(args.seed + run_no)
        with bcard.timed_step(server, args.quiet_max_wait) as step:
            go.set()
            samples = query_loop(system.client(server), rng, meta["hosts"], lambda: newest.value,
                                 lambda: not writer.is_alive() or not result.empty())
            w = result.get(timeout=3600)
            writer.join(60)
            q = system.until_queryable(server, w, meta)
        w.update(until_queryable=q, points_per_s=points / q["until_queryable_s"])
        out["mixed"] = {"writer": w, "step": step, "status": server.status(),
                        "latency_ms": percentiles(samples), "queries": len(samples),
                        "rows_returned": sum(r for _, _, r in samples), "check": system.check(server, meta)}
        log("run %d %s: reached %.0f points/s (target %.0f), %d queries, p50/p99 total %.1f/%.1f ms" % (
            run_no, system.name, w["points_per_s"], rate, len(samples),
            out["mixed"]["latency_ms"]["total"]["p50"], out["mixed"]["latency_ms"]["total"]["p99"]))
        # 3. baseline: the same loop on the same, now idle, fully loaded server
        with bcard.timed_step(server, args.quiet_max_wait) as step:
            base = query_loop(system.client(server), random.Random(args.seed + run_no), meta["hosts"],
                              lambda: meta["end_ns_exclusive"] - 10 * 10**9, lambda: False,
                              max_queries=min(max(len(samples), 4 * args.min_baseline),
                                              args.max_baseline))
        out["baseline"] = {"step": step, "latency_ms": percentiles(base), "queries": len(base)}
        log("run %d %s: baseline p50/p99 total %.1f/%.1f ms" % (
            run_no, system.name, out["baseline"]["latency_ms"]["total"]["p50"],
            out["baseline"]["latency_ms"]["total"]["p99"]))
    finally:
        if writer is not None and writer.is_alive():
            writer.terminate()
            writer.join(10)
        if server:
            server.stop()
    return out


# ------------------------------------------------------------------ report
def summarize(runs):
    m = bcard.med
    s = {}
    for name in sorted({r["system"] for r in runs}):
        rs = [r for r in runs if r["system"] == name]
        x = {"max_points_per_s": m([r["max"]["points_per_s"] for r in rs]),
             "target_points_per_s": m([r["mixed"]["writer"]["target_points_per_s"] for r in rs]),
             "reached_points_per_s": m([r["mixed"]["writer"]["points_per_s"] for r in rs]),
             "queries_mixed": m([r["mixed"]["queries"] for r in rs]),
             "queries_baseline": m([r["baseline"]["queries"] for r in rs])}
        for phase in ("mixed", "baseline"):
            x[phase] = {k: {p: m([r[phase]["latency_ms"][k][p] for r in rs])
                            for p in ("n", "p50", "p90", "p99", "max")} for k in KINDS + ["total"]}
        s[name] = x
    if "strata" in s and "victoria" in s:
        a, b = s["strata"], s["victoria"]
        s["ratio_strata_to_victoria"] = {
            "max_points_per_s": bcard.ratio(a["max_points_per_s"], b["max_points_per_s"]),
            "reached_points_per_s": bcard.ratio(a["reached_points_per_s"], b["reached_points_per_s"]),
            "mixed": {k: {p: bcard.ratio(a["mixed"][k][p], b["mixed"][k][p]) for p in ("p50", "p90", "p99", "max")}
                      for k in KINDS + ["total"]},
            "baseline": {k: {p: bcard.ratio(a["baseline"][k][p], b["baseline"][k][p]) for p in ("p50", "p99")}
                         for k in KINDS + ["total"]}}
    return s


def render(out):
    m, s = out["machine"], out["summary"]
    names = [n for n in ("strata", "victoria") if n in s]
    label = {"strata": "Strata", "victoria": "VictoriaMetrics"}
    both = len(names) == 2
    ms = lambda v: "–" if v is None else ("%.1f" % v if v < 100 else "{:,.0f}".format(v))  # noqa: E731
    rt = lambda v: "–" if v is None else "%.2f" % v  # noqa: E731
    pts = lambda v: "{:,.0f}".format(v)  # noqa: E731
    L = ["<!-- BEGIN mixed: generated by bench/bench_mixed.py; edits here are overwritten -->",
         "## Mixed load: ingest at %d %% of the maximum rate while dashboards query" % round(100 * out["fraction"]), "",
         "`%s` — %s, %d cores, %d GiB RAM, kernel %s, %s UTC. Strata: Release `%s` (built %s), scripts at %s; "
         "`stratad --fsync always`%s. Workload `%s`: {:,} points ({} hosts x {:g} day x 10 fields). "
         "Medians of %d runs per system; ratio = Strata / VictoriaMetrics.".format(
             out["workload"]["main_points"], out["workload"]["hosts"], out["workload"]["days"]) % (
             out["command"], m["cpu_model"], m["nproc"], round(m["MemTotal_kB"] / 2**20), m["kernel"],
             m["date_utc"], out["strata_version"]["stratad"],
             out["strata_version"]["stratad_mtime_utc"], out["strata_version"]["git"],
             "; VictoriaMetrics %s (the peers harness flags, every query `nocache=1`)" % out["victoria_version"]
             if both else "", os.path.basename(out["data"]), out["runs"]), "",
         "| ingest, points/s until queryable | " + " | ".join(label[n] for n in names) + (" | ratio |" if both else " |"),
         "|---|" + "---:|" * (len(names) + both)]
    rows = [("maximum (fresh server, one connection, all the file)", "max_points_per_s"),
            ("target of the paced writer (%d %% of each run's maximum)" % round(100 * out["fraction"]), "target_points_per_s"),
            ("reached while the query loop runs", "reached_points_per_s")]
    for text, key in rows:
        L.append("| %s | %s |" % (text, " | ".join(pts(s[n][key]) for n in names)) +
                 (" %s |" % rt(bcard.ratio(s["strata"][key], s["victoria"][key])) if both else ""))
    L += ["", "Query latency, client wall time in ms, p50 / p90 / p99 / max: during the load (queries "
          "per run: %s) and against the same server idle with all the data afterwards (the baseline, "
          "as many queries):" % ", ".join("%s %d" % (label[n], s[n]["queries_mixed"]) for n in names), "",
          "| query | " + " | ".join("%s during load | %s idle" % (label[n], label[n]) for n in names) +
          (" | ratio p50 / p99 during load | ratio p50 / p99 idle |" if both else " |"),
          "|---|" + "---:|" * (2 * len(names) + 2 * both)]
    for k in KINDS + ["total"]:
        cells = []
        for n in names:
            for phase in ("mixed", "baseline"):
                cells.append(" / ".join(ms(s[n][phase][k][p]) for p in ("p50", "p90", "p99", "max")))
        if both:
            r = s["ratio_strata_to_victoria"]
            cells += ["%s / %s" % (rt(r[ph][k]["p50"]), rt(r[ph][k]["p99"])) for ph in ("mixed", "baseline")]
        L.append("| %s | %s |" % (k, " | ".join(cells)))

    class Shown:          # shows host_N and T in place of the random host and the newest time
        def randrange(self, n):
            return "N"
    L += ["", "Queries (host_N random per query; T = the newest timestamp the writer has sent, the "
          "file's last one for the baseline):", ""]
    for k in KINDS:
        L.append("* %s: `%s`" % (k, query_text(k, Shown(), "T", 100)) +
                 ("; VictoriaMetrics `%s`" % VM_SHOWN[k] if both else ""))
    L += ["* Until queryable: Strata `SYNC` answered; VictoriaMetrics (influx TCP port, no "
          "acknowledgement) the server closed the half-closed connection, then the peers' count-all "
          "query polled every 0.25 s until it shows every point.",
          "* During the load a query sees only the data written so far (Q3 and lastpoint scan "
          "less than against the full data set), so a during/idle ratio below 1 is not a speed-up.",
          "* Writer: one TCP connection, batches of %d lines, never ahead of the schedule "
          "t0 + points / target; a separate process. After each load the count of every point and "
          "mean(usage_user) equal the generator's figures: %s." % (
              out["batch"], "yes" if out["all_checks_ok"] else "**NO**"),
          "* Foreign CPU (other processes) during the timed steps, largest share of the machine: %.1f %%%s." % (
              100 * out["max_foreign_share"], bcard.disturbed(
                  [dict(r, max_step=r["max"]["step"], mixed_step=r["mixed"]["step"], baseline_step=r["baseline"]["step"])
                   for r in out["per_run"]], ("max_step", "mixed_step", "baseline_step")))]
    if not both:
        L.append("* VictoriaMetrics was not run in this benchmark.")
    L += ["", "Raw figures of every run: [bench/results/mixed.json](bench/results/mixed.json).",
          "<!-- END mixed -->"]
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(bcard.REPO, "build", "release"))
    ap.add_argument("--data", default=os.path.join(bcard.REPO, "build", "bench-data", "cpu_h100_d1_s42.lp"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fraction", type=float, default=0.5, help="writer target as a share of the maximum rate")
    ap.add_argument("--batch", type=int, default=1000, help="lines per send of the paced writer")
    ap.add_argument("--min-baseline", type=int, default=25, help="at least this many baseline queries per kind")
    ap.add_argument("--max-baseline", type=int, default=2000,
                    help="at most this many baseline queries (a slow system answered tens of thousands "
                         "of cheap queries during its load, and repeating them idle took too long)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--systems", default="strata,victoria", help="strata, victoria or both")
    ap.add_argument("--quiet-max-wait", type=float, default=900)
    ap.add_argument("--results", default=os.path.join(HERE, "results", "mixed.json"))
    ap.add_argument("--markdown", default=os.path.join(bcard.REPO, "BENCHMARKS.md"), help="'' to skip")
    ap.add_argument("--render", action="store_true", help="only rewrite the section from --results")
    args = ap.parse_args()
    if args.render:
        bcard.write_section(args.markdown, "mixed", render(json.load(open(args.results))))
        return 0
    args.build_dir = os.path.abspath(args.build_dir)
    bcard.sigterm_exits()
    meta = json.load(open(args.data + ".meta.json"))
    systems = [{"strata": StrataSystem, "victoria": VictoriaSystem}[n](args) for n in args.systems.split(",")]
    t_begin = time.time()
    runs = []
    for i in range(args.runs):                   # systems alternate which goes first
        for system in (systems if i % 2 == 0 else systems[::-1]):
            runs.append(run_once(args, system, meta, i + 1))
            out = save(args, meta, runs, t_begin)  # after every run: a late failure keeps the rest
    return 0 if out["all_checks_ok"] else 1


def save(args, meta, runs, t_begin):
    steps = [r[p]["step"] for r in runs for p in ("max", "mixed", "baseline")]
    out = {"command": "python3 bench/bench_mixed.py " + " ".join(sys.argv[1:]),
           "machine": rp.machine(), "strata_version": bcard.strata_version(args.build_dir),
           "victoria_version": rp.pkg_version("victoria-metrics"),
           "data": args.data, "workload": meta, "runs": max(r["run"] for r in runs), "fraction": args.fraction,
           "batch": args.batch, "all_checks_ok": all(r[p]["check"]["ok"] for r in runs for p in ("max", "mixed")),
           "max_foreign_share": max(s["cpu_accounting"]["foreign_share_of_machine"] for s in steps),
           "per_run": runs, "quiet_checks": list(rp.QUIET_LOG)}
    out["summary"] = summarize(runs)
    out["wall_s"] = round(time.time() - t_begin, 1)
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as f:
        json.dump(out, f, indent=1)
    log("wrote", args.results)
    section = render(out)
    if args.markdown:
        bcard.write_section(args.markdown, "mixed", section)
        log("updated", args.markdown)
    return out


if __name__ == "__main__":
    sys.exit(main())
