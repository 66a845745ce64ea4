#!/usr/bin/env python3
"""High cardinality (issue 8, item 3): 1,000,000 series on Strata and on VictoriaMetrics.

Workload (generated once, deterministic for a --seed, into --bench-data): one measurement `cpu`,
--hosts hosts (default 100,000) with TSBS-like tags (hostname, region of 8 values, datacenter,
rack, os, ...; the same tag maker as ../shared/peers/gen_workload.py) x 10 float fields, --rows
rows per host (default 3) 10 s apart from 2026-01-01T00:00:00Z, ns timestamps: hosts x 10 series
(a series is one field of one host, as VictoriaMetrics counts them), hosts x rows x 10 points.
A sidecar .meta.json holds the generator's own answers for a seeded sample of hosts.

For each of --runs runs, Strata and VictoriaMetrics in turn (alternating which goes first), each
from an empty data directory on loopback:
  * ingest rate until queryable: points / (first byte sent -> the first count over all series
    that returns every point has returned). Strata: `strata load` (ends with SYNC) into
    `stratad --fsync always`, then one count. VictoriaMetrics: the peers harness' best ingest
    setting, then its count-all query polled every 0.25 s, as ../shared/peers does;
  * RSS of the idle server just started, RSS (VmRSS) and peak RSS (VmHWM) after the load;
    memory per series = (RSS after load - idle RSS) / series;
  * latency of a single-series query (mean over the data's time range, and last) for --queries
    seeded random hosts, each answer checked against the generator's values (1e-9 relative);
  * latency of the count over all series (checked: every point).
Reported: medians over the runs, Strata / VictoriaMetrics ratios of those medians.

Every timed step holds the machine-wide lock /tmp/strata-bench.lock (flock, exclusive) after
waiting until the machine is quiet; CPU used by foreign processes is recorded beside each figure.

Usage: bench/bench_cardinality.py [--build-dir build/release] [--hosts 100000] [--runs 3]
Writes bench/results/cardinality.json and the cardinality section of BENCHMARKS.md.
"""

import argparse
import contextlib
import fcntl
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEERS = os.path.join(REPO, "..", "shared", "peers")
sys.path.insert(0, HERE)
sys.path.insert(0, PEERS)
import bench_rollups as br  # noqa: E402  (Client: one persistent query connection)
import gen_workload as gw  # noqa: E402  (host_tags, FIELDS: the peers' tag maker)
import run_peer as rp  # noqa: E402  (Victoria, wait_quiet, Foreign, proc_status, machine)

LOCK_PATH = "/tmp/strata-bench.lock"
START_NS = gw.START_NS


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def rfc(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // 10**9))


# ------------------------------------------------------------------ shared by bench_mixed.py
@contextlib.contextmanager
def timed_step(server, quiet_max_wait):
    """Around every timed step: the machine-wide lock (so two benchmark helpers never measure at
    the same time), then wait until the machine is quiet; yields a dict that receives the quiet
    check and the CPU accounting (foreign CPU) of the step."""
    info = {}
    with open(LOCK_PATH, "a") as lock:
        t0 = time.time()
        fcntl.flock(lock, fcntl.LOCK_EX)
        info["lock_wait_s"] = round(time.time() - t0, 1)
        info["quiet_check"] = rp.wait_quiet(max_wait=quiet_max_wait)
        fg = rp.Foreign(server)
        kids0 = children_cpu_s()
        try:
            yield info
        finally:
            acc = fg.done()
            # our own client processes (strata load, the paced writer) are not foreign: subtract
            # the CPU of the children reaped during the step (servers are reaped only later)
            kids = children_cpu_s() - kids0
            acc["client_children_cpu_s"] = round(kids, 2)
            acc["foreign_cpu_s"] = round(max(0.0, acc["foreign_cpu_s"] - kids), 2)
            acc["foreign_share_of_machine"] = round(
                acc["foreign_cpu_s"] / max(1e-9, acc["wall_s"] * os.cpu_count()), 3)
            info["cpu_accounting"] = acc
            fcntl.flock(lock, fcntl.LOCK_UN)


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sigterm_exits():
    """SIGTERM runs the finally blocks (which stop our servers) instead of killing us bare."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def wait_ports_free(ports, limit_s=1800):
    """Another benchmark may be running its own VictoriaMetrics on the peers' default ports:
    wait (bounded) until they are free rather than fail; we never stop a server we did not start."""
    t_end = time.time() + limit_s
    while any(rp.port_open(p) for p in ports) and time.time() < t_end:
        log("ports %s taken by another server; waiting" % ports)
        time.sleep(10)


class Strata:
    """stratad from an empty temporary data directory, --fsync always, stopped by its PID."""
    name = "strata"

    def __init__(self, build_dir, extra=()):
        self.build_dir = build_dir
        self.extra = list(extra)
        self.proc = None

    def start(self):
        self.work = tempfile.mkdtemp(prefix="strata-bench-")
        port_file = os.path.join(self.work, "port")
        self.cmd = [os.path.join(self.build_dir, "server", "stratad"), "--data-dir",
                    os.path.join(self.work, "data"), "--port", "0", "--port-file", port_file,
                    "--fsync", "always", "--log-level", "warn"] + self.extra
        self.logf = open(os.path.join(self.work, "stratad.log"), "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=subprocess.STDOUT)
        t_end = time.time() + 60
        while time.time() < t_end:
            if self.proc.poll() is not None:
                raise RuntimeError("stratad exited rc=%s" % self.proc.returncode)
            if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                self.port = int(open(port_file).read())
                log("strata started pid %d port %d" % (self.proc.pid, self.port))
                return
            time.sleep(0.05)
        raise RuntimeError("stratad wrote no port file in 60 s")

    def load(self, path):
        """`strata load` (one connection, ends with SYNC: durable and visible); wall seconds."""
        cmd = [os.path.join(self.build_dir, "tools", "strata"), "--port", str(self.port), "load",
               "--quiet", path]
        t0 = time.time()
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=3600)
        return t0, time.time()

    def cpu_s(self):
        return rp.proc_cpu_s(self.proc.pid)

    def status(self):
        return rp.proc_status(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            log("strata pid %d stopped rc=%s" % (self.proc.pid, self.proc.returncode))
        self.proc = None
        if getattr(self, "work", None):
            self.logf.close()
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None


def strata_version(build_dir):
    git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    binary = os.path.join(build_dir, "server", "stratad")
    return {"git": git, "stratad": binary,
            "stratad_mtime_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime(os.path.getmtime(binary)))}


class Victoria(rp.Victoria):
    """The peers harness' VictoriaMetrics; its default -search.maxUniqueTimeseries (300,000) would
    refuse the count over 1,000,000 series, so it is raised (a safety limit, not a tuning knob)."""

    def cmd(self):
        return super().cmd() + ["-search.maxUniqueTimeseries=10000000"]


def victoria_args():
    """What run_peer.Victoria and best_setting() read from the peers harness' arguments."""
    return argparse.Namespace(vm_dedup=None, setting=None, tag="")


def write_section(path, name, section):
    """Replaces <!-- BEGIN name ... --> ... <!-- END name --> in BENCHMARKS.md, else inserts the
    section before the hand-measured "## Storage, ingest and kernels" part (or appends)."""
    begin, end = "<!-- BEGIN %s" % name, "<!-- END %s -->" % name
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n"
    b, e = text.find(begin), text.find(end)
    if b >= 0 and e > b:
        text = text[:b] + section.rstrip("\n") + text[e + len(end):]
    else:
        m = re.search(r"(?m)^## Storage, ingest and kernels", text)
        at = m.start() if m else len(text)
        text = text[:at].rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n\n" + text[at:]
    with open(path, "w") as f:
        f.write(text)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return a / b if a is not None and b else None


def close(a, b, rel=1e-9):
    return a is not None and abs(a - b) <= rel * max(1.0, abs(b))


# ------------------------------------------------------------------ workload
def generate(path, hosts, rows, seed, samples):
    """Rows ordered by time, then host (as TSBS); bounded random walks like gen_workload.py."""
    rng = random.Random(seed)
    tags = ["cpu," + gw.host_tags(rng, i)[0] + " " for i in range(hosts)]
    state = [[rng.uniform(0, 100) for _ in gw.FIELDS] for _ in range(hosts)]
    sample = sorted(random.Random(seed + 1).sample(range(hosts), min(samples, hosts)))
    want = set(sample)
    uu = {h: [] for h in sample}         # usage_user of the sampled hosts, in time order
    gauss = rng.gauss
    tmp = path + ".tmp"
    with open(tmp, "w", buffering=1 << 22) as f:
        for k in range(rows):
            ts = " %d\n" % (START_NS + k * gw.INTERVAL_S * 10**9)
            for h in range(hosts):
                st = state[h]
                vals = []
                for j in range(10):
                    v = min(100.0, max(0.0, st[j] + gauss(0.0, 1.0)))
                    st[j] = v
                    vals.append("%.2f" % v)
                f.write(tags[h] + ",".join(gw.FIELDS[j] + "=" + vals[j] for j in range(10)) + ts)
                if h in want:
                    uu[h].append(float(vals[0]))
    os.replace(tmp, path)
    meta = {"hosts": hosts, "rows_per_host": rows, "seed": seed, "lines": hosts * rows,
            "points": hosts * rows * 10, "series": hosts * 10, "start_ns": START_NS,
            "last_ns": START_NS + (rows - 1) * gw.INTERVAL_S * 10**9,
            # exact answers, from the generator's own values: mean (sum in time order / n), last
            "samples": {"host_%d" % h: {"mean": sum(uu[h]) / len(uu[h]), "last": uu[h][-1]}
                        for h in sample}}
    with open(path + ".meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def ensure_workload(bench_data, hosts, rows, seed, samples):
    os.makedirs(bench_data, exist_ok=True)
    path = os.path.join(bench_data, "cardinality_h%d_r%d_s%d.lp" % (hosts, rows, seed))
    try:
        meta = json.load(open(path + ".meta.json"))
        if os.path.exists(path) and len(meta["samples"]) >= min(samples, hosts):
            return path, meta
    except (OSError, ValueError, KeyError):
        pass
    log("generating", path)
    t0 = time.time()
    meta = generate(path, hosts, rows, seed, samples)
    log("generated %d lines in %.1f s" % (meta["lines"], time.time() - t0))
    return path, meta


# ------------------------------------------------------------------ queries per system
def strata_queries(meta):
    t0, t1 = rfc(meta["start_ns"]), rfc(meta["last_ns"] + 10**9)
    where = "WHERE hostname = '%s' AND time >= '" + t0 + "' AND time < '" + t1 + "'"
    return {"mean": "SELECT mean(usage_user) FROM cpu " + where,
            "last": "SELECT last(usage_user) FROM cpu " + where,
            "count_all": "SELECT count(*) FROM cpu"}


def vm_queries(meta):
    # instant query at the last timestamp; the window (t - w, t] covers every row of the series
    w = "%ds" % ((meta["last_ns"] - meta["start_ns"]) // 10**9 + 1)
    return {"mean": 'avg_over_time(cpu_usage_user{hostname="%s"}[' + w + '])',
            "last": 'last_over_time(cpu_usage_user{hostname="%s"}[' + w + '])',
            "count_all": 'sum(count_over_time({__name__=~"cpu_.*"}[' + w + ']))',
            "time": meta["last_ns"] // 10**9}


def strata_answer(client, text):
    rows, _, wall = client.table(text)
    return (float(rows[1].split("\t")[-1]) if len(rows) > 1 else None), wall


def strata_count_all(client, text):
    rows, _, wall = client.table(text)
    return (sum(int(c) for c in rows[1].split("\t")) if len(rows) > 1 else 0), wall


def vm_answer(vm, expr, t):
    t0 = time.perf_counter()
    r = vm.instant(expr, t)["data"]["result"]
    wall = time.perf_counter() - t0
    return (float(r[0]["value"][1]) if r else None), wall


# ------------------------------------------------------------------ one run of one system
def run_system(name, args, path, meta, hosts_to_query):
    out = {"system": name}
    if name == "strata":
        server = Strata(args.build_dir)
    else:
        server = Victoria(victoria_args())
        wait_ports_free([server.port] + server.other_ports)
        server.wipe()
        setting = rp.best_setting(rp.Victoria, victoria_args())
        out["setting"] = setting
    try:
        server.start()
        out["cmd"] = server.cmd if name == "strata" else server.cmd()
        time.sleep(2)                         # let the idle server settle before its RSS is read
        out["idle_status"] = server.status()
        with timed_step(server, args.quiet_max_wait) as step:
            if name == "strata":
                t_start, t_sent = server.load(path)
                client = br.Client(server.port)
                count, _ = strata_count_all(client, strata_queries(meta)["count_all"])
                t_q = time.time()
                out["count_ok"] = count == meta["points"]
                out["count"] = count
            else:
                target, batch, conc = server.target(setting)
                r = rp.load.run(path, target, batch or 5000, conc, max_seconds=1800)
                t_start, t_sent = r["t_start"], r["t_end"]
                w = rp.wait_count(server, meta["points"], t_start)
                t_q = t_start + w["t_since_ref_s"]
                out["count_ok"], out["count"] = w["ok"], w["count"]
                out["count_polls"] = w["polls"]
        out["ingest_step"] = step
        out["sent_s"] = t_sent - t_start
        out["until_queryable_s"] = t_q - t_start
        out["points_per_s_until_queryable"] = meta["points"] / out["until_queryable_s"]
        out["status_after_load"] = server.status()
        rss0 = out["idle_status"]["VmRSS_kB"]
        out["bytes_per_series"] = (out["status_after_load"]["VmRSS_kB"] - rss0) * 1024 / meta["series"]
        log(name, "ingest %.0f points/s until queryable (%.1f s), count ok %s, RSS %s -> %s kB, "
            "%.0f bytes/series" % (out["points_per_s_until_queryable"], out["until_queryable_s"],
                                  out["count_ok"], rss0, out["status_after_load"],
                                  out["bytes_per_series"]))
        # single-series queries, each on another host; answers checked against the generator
        lat = {"mean": [], "last": []}
        bad = []
        with timed_step(server, args.quiet_max_wait) as step:
            for i, host in enumerate(hosts_to_query):
                want = meta["samples"][host]
                for kind in ("mean", "last"):
                    if name == "strata":
                        got, wall = strata_answer(client, strata_queries(meta)[kind] % host)
                    else:
                        q = vm_queries(meta)
                        got, wall = vm_answer(server, q[kind] % host, q["time"])
                    if i > 0:                  # the first host warms up
                        lat[kind].append(wall * 1000)
                    if not close(got, want[kind]):
                        bad.append({"host": host, "kind": kind, "got": got, "want": want[kind]})
        out["query_step"] = step
        out["single_series_ms"] = {k: {"median": med(v), "min": min(v), "max": max(v),
                                       "all": [round(x, 3) for x in v]} for k, v in lat.items()}
        out["single_series_wrong"] = bad
        # the count over every series, --count-runs times
        lat = []
        with timed_step(server, args.quiet_max_wait) as step:
            for _ in range(args.count_runs):
                if name == "strata":
                    got, wall = strata_count_all(client, strata_queries(meta)["count_all"])
                else:
                    q = vm_queries(meta)
                    got, wall = vm_answer(server, q["count_all"], q["time"])
                lat.append(wall * 1000)
                if got != meta["points"]:
                    bad.append({"kind": "count_all", "got": got, "want": meta["points"]})
        out["count_step"] = step
        out["count_all_ms"] = {"median": med(lat), "all": [round(x, 1) for x in lat]}
        out["status_end"] = server.status()
        log(name, "single-series mean %.2f ms, last %.2f ms, count-all %.0f ms, wrong answers %d" % (
            out["single_series_ms"]["mean"]["median"], out["single_series_ms"]["last"]["median"],
            out["count_all_ms"]["median"], len(bad)))
        if name == "strata":
            client.sock.close()
    finally:
        server.stop()
    return out


# ------------------------------------------------------------------ report
FIGURES = [  # (key, label, extractor, format)
    ("ingest", "ingest until queryable (points/s)", lambda r: r["points_per_s_until_queryable"], "{:,.0f}"),
    ("until_queryable_s", "load + first full count (s)", lambda r: r["until_queryable_s"], "{:.2f}"),
    ("idle_rss", "RSS of the idle server (MiB)", lambda r: r["idle_status"]["VmRSS_kB"] / 1024, "{:.1f}"),
    ("rss_after", "RSS after the load (MiB)", lambda r: r["status_after_load"]["VmRSS_kB"] / 1024, "{:.1f}"),
    ("hwm_after", "peak RSS, VmHWM, after the load (MiB)", lambda r: r["status_after_load"]["VmHWM_kB"] / 1024, "{:.1f}"),
    ("bytes_per_series", "memory per series (bytes)", lambda r: r["bytes_per_series"], "{:,.0f}"),
    ("q_mean", "single-series mean over its time range (ms)", lambda r: r["single_series_ms"]["mean"]["median"], "{:.2f}"),
    ("q_last", "single-series last (ms)", lambda r: r["single_series_ms"]["last"]["median"], "{:.2f}"),
    ("q_count", "count over all series (ms)", lambda r: r["count_all_ms"]["median"], "{:,.0f}"),
]


def summarize(runs):
    s = {}
    for key, _, fn, _ in FIGURES:
        s[key] = {sysname: med([fn(r) for r in runs if r["system"] == sysname])
                  for sysname in ("strata", "victoria")}
        s[key]["ratio_strata_to_victoria"] = ratio(s[key]["strata"], s[key]["victoria"])
    return s


def disturbed(runs, steps, above=0.05):
    """Names the timed steps during which other processes used more than `above` of the machine
    (the wait for a quiet machine is bounded, and the machine is shared)."""
    hit = ["%s run %d %s %.0f %%" % (r["system"], r["run"], k.replace("_step", ""),
                                     100 * r[k]["cpu_accounting"]["foreign_share_of_machine"])
           for r in runs for k in steps if r[k]["cpu_accounting"]["foreign_share_of_machine"] > above]
    return "; above %d %%: %s (medians over the runs damp these)" % (100 * above, ", ".join(hit)) if hit else ""


def render(out):
    m, w, s = out["machine"], out["workload"], out["summary"]
    f = lambda fmt, v: "–" if v is None else fmt.format(v)  # noqa: E731
    L = ["<!-- BEGIN cardinality: generated by bench/bench_cardinality.py; edits here are overwritten -->",
         "## High cardinality: %s series, Strata vs VictoriaMetrics" % "{:,}".format(w["series"]), "",
         "`%s` — %s, %d cores, %d GiB RAM, kernel %s, %s UTC. Strata: Release `%s` (built %s), scripts at %s; "
         "`stratad --fsync always`; VictoriaMetrics %s (the peers harness flags, ingest setting "
         "`%s`, every query `nocache=1`)." % (
             out["command"], m["cpu_model"], m["nproc"], round(m["MemTotal_kB"] / 2**20),
             m["kernel"], m["date_utc"], out["strata_version"]["stratad"],
             out["strata_version"]["stratad_mtime_utc"], out["strata_version"]["git"], out["victoria_version"], out["victoria_setting"]), "",
         "Workload: one measurement `cpu`, {:,} hosts (TSBS tags: hostname, region of 8, datacenter, "
         "rack, os, ...) x 10 float fields = {:,} series, {} rows per host 10 s apart = {:,} points "
         "(seed {}). Medians of {} runs per system, each from an empty data directory, systems "
         "alternating; ratio = Strata / VictoriaMetrics.".format(
             w["hosts"], w["series"], w["rows_per_host"], w["points"], w["seed"], out["runs_per_system"]), "",
         "| figure | Strata | VictoriaMetrics | ratio |", "|---|---:|---:|---:|"]
    for key, label, _, fmt in FIGURES:
        L.append("| %s | %s | %s | %s |" % (label, f(fmt, s[key]["strata"]), f(fmt, s[key]["victoria"]),
                                            f("{:.2f}", s[key]["ratio_strata_to_victoria"])))
    L += ["",
          "* Ingest until queryable: points / (first byte sent → the first count over every series "
          "returning all points has returned). Strata: `strata load` (ends with `SYNC`), then "
          "`SELECT count(*) FROM cpu`; VictoriaMetrics: `%s`, polled every 0.25 s after the load." % (
              vm_queries(w)["count_all"]),
          "* Memory per series: (VmRSS after the load − VmRSS of the idle server 2 s after start) / "
          "series.",
          "* Single-series queries: %d seeded random hosts, the first a warm-up, each answer checked "
          "against the generator (1e-9 relative); wrong answers: Strata %d, VictoriaMetrics %d. Strata: "
          "`%s`, the same with `last(usage_user)`; VictoriaMetrics: `/api/v1/query` `%s` (and "
          "`last_over_time`) at the last timestamp." % (
              out["queries_per_run"], out["wrong"]["strata"], out["wrong"]["victoria"],
              strata_queries(w)["mean"] % "host_N", vm_queries(w)["mean"] % "host_N"),
          "* Count over all series: Strata `%s`, %d runs per server, median." % (
              strata_queries(w)["count_all"], out["count_runs"]),
          "* Foreign CPU (other processes) during the timed steps, largest share of the machine: %.1f %%%s." % (
              100 * out["max_foreign_share"], disturbed(out["runs"], ("ingest_step", "query_step", "count_step"))),
          "",
          "Raw figures of every run: [bench/results/cardinality.json](bench/results/cardinality.json).",
          "<!-- END cardinality -->"]
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "release"))
    ap.add_argument("--bench-data", default=os.path.join(REPO, "build", "bench-data"))
    ap.add_argument("--hosts", type=int, default=100_000)
    ap.add_argument("--rows", type=int, default=3, help="rows per host, 10 s apart")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3, help="runs per system")
    ap.add_argument("--queries", type=int, default=51, help="single-series queries (hosts) per run, first is a warm-up")
    ap.add_argument("--count-runs", type=int, default=3)
    ap.add_argument("--systems", default="strata,victoria")
    ap.add_argument("--quiet-max-wait", type=float, default=900)
    ap.add_argument("--results", default=os.path.join(HERE, "results", "cardinality.json"))
    ap.add_argument("--markdown", default=os.path.join(REPO, "BENCHMARKS.md"), help="'' to skip")
    ap.add_argument("--render", action="store_true", help="only rewrite the section from --results")
    args = ap.parse_args()
    if args.render:
        write_section(args.markdown, "cardinality", render(json.load(open(args.results))))
        return 0
    args.build_dir = os.path.abspath(args.build_dir)
    sigterm_exits()
    t_begin = time.time()
    path, meta = ensure_workload(args.bench_data, args.hosts, args.rows, args.seed, args.queries * args.runs)
    systems = args.systems.split(",")
    hosts = sorted(meta["samples"])
    random.Random(args.seed + 2).shuffle(hosts)
    runs = []
    for i in range(args.runs):
        order = systems if i % 2 == 0 else systems[::-1]
        for name in order:
            log("run %d/%d: %s" % (i + 1, args.runs, name))
            qhosts = hosts[i * args.queries:(i + 1) * args.queries]
            r = run_system(name, args, path, meta, qhosts)
            r["run"] = i + 1
            runs.append(r)
    vm_setting = next((r.get("setting") for r in runs if r["system"] == "victoria"), None)
    out = {"command": "python3 bench/bench_cardinality.py " + " ".join(sys.argv[1:]),
           "machine": rp.machine(), "strata_version": strata_version(args.build_dir),
           "victoria_version": rp.pkg_version("victoria-metrics"), "victoria_setting": vm_setting,
           "workload": {k: meta[k] for k in ("hosts", "rows_per_host", "seed", "lines", "points",
                                             "series", "start_ns", "last_ns")},
           "workload_file": path, "runs_per_system": args.runs, "queries_per_run": args.queries,
           "count_runs": args.count_runs, "runs": runs,
           "wrong": {s: sum(len(r["single_series_wrong"]) for r in runs if r["system"] == s)
                     for s in ("strata", "victoria")},
           "max_foreign_share": max((r[k]["cpu_accounting"]["foreign_share_of_machine"] for r in runs
                                     for k in ("ingest_step", "query_step", "count_step")), default=0),
           "quiet_checks": list(rp.QUIET_LOG), "wall_s": round(time.time() - t_begin, 1)}
    out["summary"] = summarize(runs) if set(systems) == {"strata", "victoria"} else None
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as f:
        json.dump(out, f, indent=1)
    log("wrote", args.results)
    if out["summary"]:
        section = render(out)
        print(section)
        if args.markdown:
            write_section(args.markdown, "cardinality", section)
            log("updated", args.markdown)
    return 1 if any(out["wrong"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
