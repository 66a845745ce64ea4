#!/usr/bin/env python3
"""Ingest, footprint, peak RSS and restart after kill -9: Strata vs VictoriaMetrics vs InfluxDB (issue 8).

    make bench-peers [HOSTS=100 DAYS=1]       # runs bench_queries.py, then this
    python3 bench/bench_ingest.py [--build-dir build/release] [--data build/bench-data/cpu_h100_d1_s42.lp]
                                  [--runs 3] [--strata-connections 2] [--wal-gb 1]

Stdlib Python 3 only. Each run starts every system from an empty data directory, one at a time
(the order rotates from run to run), holding /tmp/strata-bench.lock (flock) while a system runs
so that other benchmarks on this machine never overlap it:

  Strata (`stratad --fsync always`): `strata load --connections K` (--strata-connections; each
    series on one of K connections, which the server parses on K threads) ends with SYNC, so when
    it exits every point is durable and visible. Points/s = points / wall time from spawning the
    load to a `SELECT count(*)` over the socket that returns every point. Peak RSS =
    stratad's VmHWM then. Then kill -9, restart on the same directory, time from exec to the port
    file + a correct count (lost points = expected - counted); then FLUSH + COMPACT and the data
    directory's allocated bytes / points. More fresh servers are loaded over 1 connection, and
    with --memtable-budget --strata-other-budget (points/s and RSS only).
  VictoriaMetrics, InfluxDB: the peers harness (../shared/peers/run_peer.py; the HTTP setting its
    sweep chose): ingest, poll its count-all query until every point is queryable, VmHWM, its
    settle step, allocated bytes / points. Then a fresh directory, the same ingest, kill -9 right
    after the last acknowledgement, restart, time until the count is right (or has not changed for
    --stable-s: the points lost).
  --wal-gb G > 0: Strata only, with `--memtable-budget 8GiB --flush-age 0` (nothing flushes): a
    multi-day workload (generated once by gen_workload.py, days chosen so that its WAL exceeds G GB)
    is loaded, kill -9, restart; WAL bytes, replay seconds, MB/s and points/s.

Before every timed step the script waits (bounded) for a quiet machine and records the CPU other
processes used. Writes bench/results/ingest.json (every run) and the "Ingest" section of
BENCHMARKS.md between <!-- BEGIN ingest --> and <!-- END ingest --> (other sections are kept).
"""
import argparse
import atexit
import fcntl
import functools
import importlib
import json
import math
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_PEERS = os.path.normpath(os.path.join(REPO, "..", "shared", "peers"))
LOCK_PATH = "/tmp/strata-bench.lock"
SYSTEMS = ["strata", "victoria", "influx"]
NAMES = {"strata": "Strata", "victoria": "VictoriaMetrics", "influx": "InfluxDB"}
PACKAGES = {"victoria": "victoria-metrics", "influx": "influxdb"}
WAL_RESTART_TARGET_S = 5.0   # our reading of "at most a few seconds"

rp = None   # ../shared/peers/run_peer.py, imported in main()
bq = None   # bench_queries.py (StrataClient, parse_strata), imported in main()
LIVE = []   # every process this script started and has not reaped: stopped on any exit


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def stop_all():
    """Kill every process still running that this script started (by its pid, never by name)."""
    for proc in list(LIVE):
        if proc.poll() is None:
            try:
                proc.kill()
                proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        LIVE.remove(proc)


def spawn(cmd, **kw):
    proc = subprocess.Popen(cmd, **kw)
    LIVE.append(proc)
    return proc


def reap(proc):
    if proc in LIVE:
        LIVE.remove(proc)


class BenchLock:
    """flock on LOCK_PATH around one system's measured work (same lock as `flock(1)` takes)."""

    def __enter__(self):
        self.f = open(LOCK_PATH, "a")
        t0 = time.time()
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for %s (another benchmark holds it)" % LOCK_PATH)
            fcntl.flock(self.f, fcntl.LOCK_EX)
        self.waited = time.time() - t0
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def median_range(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


# ------------------------------------------------------------------------------------------ Strata
class Stratad:
    """One stratad process on a data directory that survives restarts (kill -9, then start again)."""

    def __init__(self, args, work, extra_flags=()):
        self.args, self.work = args, work
        self.data = os.path.join(work, "data")
        self.port_file = os.path.join(work, "port")
        self.flags = ["--fsync", "always", "--log-level", "warn"] + list(extra_flags)
        self.proc = None
        self.port = None

    def cmd(self):
        return [os.path.join(self.args.build_dir, "server", "stratad"), "--data-dir", self.data,
                "--port", "0", "--port-file", self.port_file] + self.flags

    def start(self):
        """Returns seconds from exec until the port file holds the port."""
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        logf = open(os.path.join(self.work, "stratad.log"), "ab")
        t0 = time.perf_counter()
        self.proc = spawn(self.cmd(), stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        while time.perf_counter() - t0 < 600:
            if self.proc.poll() is not None:
                raise RuntimeError("stratad exited rc=%s, see %s/stratad.log" % (self.proc.returncode, self.work))
            if os.path.exists(self.port_file) and os.path.getsize(self.port_file) > 0:
                with open(self.port_file) as f:
                    text = f.read().strip()
                if text.isdigit():
                    self.port = int(text)
                    return time.perf_counter() - t0
            time.sleep(0.005)
        raise RuntimeError("stratad did not write its port file in 600 s")

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        reap(self.proc)
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc:
            reap(self.proc)
        self.proc = None

    # what rp.Foreign and rp.proc_status need
    def cpu_s(self):
        return rp.proc_cpu_s(self.proc.pid) if self.proc else None

    def status(self):
        return rp.proc_status(self.proc.pid)

    def request(self, text):
        """One statement on a fresh connection; the raw answer (ends with END/ERR/OK)."""
        cl = bq.StrataClient(self.port)
        try:
            return cl.request(text).decode()
        finally:
            cl.close()

    def count_points(self):
        """Points stored: the sum of `SELECT count(*)`'s per-field counts."""
        a = bq.parse_strata(self.request("SELECT count(*) FROM cpu").encode())
        if "error" in a:
            raise RuntimeError("count(*): %s" % a["error"])
        return sum(int(x) for x in a["rows_data"][0] if x not in ("", None)) if a["rows_data"] else 0

    def stats(self):
        lines = self.request("STATS").splitlines()[1:-1]
        return {l.split("\t")[0]: int(l.split("\t")[1]) for l in lines}


def strata_load(args, srv, path, conns, expected):
    """`strata load --connections K` (each series on one of K connections, the server parsing
    them on K threads), then count(*) until it confirms every point."""
    tool = os.path.join(args.build_dir, "tools", "strata")
    cmds = [[tool, "--port", str(srv.port), "load", "--quiet", "--connections", str(conns), path]]
    fg = rp.Foreign(srv)
    t0 = time.perf_counter()
    procs = [spawn(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = []
    for p in procs:
        o, e = p.communicate(timeout=3600)
        reap(p)
        if p.returncode != 0:
            raise RuntimeError("strata load rc=%d: %s %s" % (p.returncode, o[-300:], e[-300:]))
        outs.append(o.strip())
    t_acked = time.perf_counter() - t0
    counted = srv.count_points()
    wall = time.perf_counter() - t0
    if counted != expected:
        raise RuntimeError("after the loads count(*) is %d points, expected %d" % (counted, expected))
    return {"cmds": [" ".join(c) for c in cmds], "acked_s": round(t_acked, 3),
            "wall_s": round(wall, 3), "points_per_s": expected / wall, "summaries": outs,
            "cpu_accounting": fg.done()}


def strata_restart(srv, expected, stable_s):
    """Start again on the same directory: seconds to the port file, then to a correct count."""
    fg = None
    t0 = time.perf_counter()
    port_s = srv.start()
    fg = rp.Foreign(srv)
    last, last_change = None, time.perf_counter()
    while True:
        counted = srv.count_points()
        now = time.perf_counter()
        if counted == expected:
            break
        if counted != last:
            last, last_change = counted, now
        elif now - last_change > stable_s:
            break
        time.sleep(0.05)
    correct_s = time.perf_counter() - t0
    return {"port_file_s": round(port_s, 3), "correct_count_s": round(correct_s, 3) if counted == expected else None,
            "first_count_s": round(correct_s, 3), "counted": counted, "lost_points": expected - counted,
            "cpu_accounting": fg.done()}


def run_strata(args, path, meta, conns, extra_flags=()):
    """Fresh server: load over `conns` connections. The main runs (server defaults, K
    connections) also measure the kill -9 restart and the settled footprint."""
    full = conns == args.strata_connections and not extra_flags
    work = tempfile.mkdtemp(prefix="strata-bench-ingest.", dir=args.tmp)
    srv = Stratad(args, work, extra_flags)
    res = {"system": "strata", "connections": conns, "extra_flags": list(extra_flags)}
    try:
        with BenchLock() as lock:
            res["lock_wait_s"] = round(lock.waited, 1)
            res["cmd"] = " ".join(srv.cmd())
            srv.start()
            res["quiet_check"] = rp.wait_quiet(max_wait=args.quiet_max_wait)
            res["ingest"] = strata_load(args, srv, path, conns, meta["main_points"])
            res["points_per_s"] = res["ingest"]["points_per_s"]
            res["status_after_ingest"] = srv.status()
            res["peak_rss_mib"] = res["status_after_ingest"]["VmHWM_kB"] / 1024
            log("strata %d conn %s: %.0f points/s until queryable, peak RSS %.0f MiB" % (
                conns, " ".join(extra_flags), res["points_per_s"], res["peak_rss_mib"]))
            if not full:
                return res
            res["disk_after_ingest"] = rp.dir_bytes(srv.data)
            srv.kill9()        # right after the loads' SYNC acknowledgements and the count
            res["quiet_check_restart"] = rp.wait_quiet(max_wait=args.quiet_max_wait)
            res["restart"] = strata_restart(srv, meta["main_points"], args.stable_s)
            log("strata restart after kill -9: port file %.2f s, correct count %s s, lost %d" % (
                res["restart"]["port_file_s"], res["restart"]["correct_count_s"], res["restart"]["lost_points"]))
            # settle: FLUSH the memtable into chunk files, COMPACT merges each partition's files
            t0 = time.perf_counter()
            res["settle"] = {"flush": srv.request("FLUSH").strip(), "compact": srv.request("COMPACT").strip()}
            res["settle"]["settle_s"] = round(time.perf_counter() - t0, 3)
            res["stats_after_settle"] = srv.stats()
            res["disk_after_settle"] = rp.dir_bytes(srv.data)
            res["count_after_settle"] = srv.count_points()
            res["bytes_per_point"] = res["disk_after_settle"]["allocated_bytes"] / meta["main_points"]
            log("strata settled: %s / %s, %.3f bytes/point" % (
                res["settle"]["flush"], res["settle"]["compact"], res["bytes_per_point"]))
    except Exception as e:  # noqa: BLE001 (recorded; the other systems still run)
        res["failed"] = repr(e)
        log("strata FAILED:", repr(e))
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    return res


def wal_bytes(data_dir):
    return rp.dir_bytes(os.path.join(data_dir, "wal"))["apparent_bytes"]


def run_wal_restart(args, main_path, meta):
    """Strata only: about --wal-gb GB of WAL, nothing flushed, kill -9, restart, time the replay."""
    gb = args.wal_gb
    # WAL bytes track line-protocol bytes (0.27x on this workload since write batch v4 writes a
    # series key once per batch), so enough days of the same hosts are generated to pass the
    # target with a margin.
    per_day = os.path.getsize(main_path) / meta["days"] * 0.25
    days = max(1, math.ceil(gb * 1e9 / per_day))
    path = os.path.join(os.path.dirname(main_path), "cpu_h%d_d%d_s%d.lp" % (meta["hosts"], days, meta["seed"]))
    if not (os.path.exists(path) and os.path.exists(path + ".meta.json")):
        log("generating", path)
        subprocess.run([sys.executable, os.path.join(args.peers_dir, "gen_workload.py"), "--hosts",
                        str(meta["hosts"]), "--days", str(days), "--seed", str(meta["seed"]), "--out", path], check=True)
    with open(path + ".meta.json") as f:
        wmeta = json.load(f)
    points = wmeta["main_points"]
    work = tempfile.mkdtemp(prefix="strata-bench-wal.", dir=args.tmp)
    srv = Stratad(args, work, ["--memtable-budget", "8GiB", "--flush-age", "0"])
    res = {"workload": os.path.relpath(path, REPO) if path.startswith(REPO + "/") else path,
           "points": points, "target_gb": gb}
    try:
        with BenchLock():
            res["cmd"] = " ".join(srv.cmd())
            srv.start()
            res["quiet_check"] = rp.wait_quiet(max_wait=args.quiet_max_wait)
            res["ingest"] = strata_load(args, srv, path, args.strata_connections, points)
            res["ingest_points_per_s"] = res["ingest"]["points_per_s"]
            st = srv.stats()
            res["flushes_before_kill"] = st.get("flushes")
            res["wal_bytes"] = wal_bytes(srv.data)
            res["peak_rss_mib"] = srv.status()["VmHWM_kB"] / 1024
            srv.kill9()
            res["quiet_check_restart"] = rp.wait_quiet(max_wait=args.quiet_max_wait)
            res["restart"] = strata_restart(srv, points, args.stable_s)
            res["recovered_wal_records"] = srv.stats().get("recovered_wal_records")
            t = res["restart"]["correct_count_s"] or res["restart"]["first_count_s"]
            res["replay_s"] = t
            res["replay_MB_per_s"] = res["wal_bytes"] / 1e6 / t
            res["replay_points_per_s"] = points / t
            log("WAL restart: %.2f GB WAL, %d flushes before kill, port file %.2f s, correct count %s s, lost %d" % (
                res["wal_bytes"] / 1e9, res["flushes_before_kill"] or 0, res["restart"]["port_file_s"],
                res["restart"]["correct_count_s"], res["restart"]["lost_points"]))
    except Exception as e:  # noqa: BLE001
        res["failed"] = repr(e)
        log("WAL restart FAILED:", repr(e))
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    return res


# ------------------------------------------------------------------------------------------- peers
def peer_restart(peer, expected, stable_s):
    """After kill -9: start, seconds to ready, then poll the count until right or unchanged."""
    t0 = time.perf_counter()
    peer.start(wait=False)
    fg = rp.Foreign(peer)
    ready_s = peer.wait_ready()
    last, last_change, counted = None, time.perf_counter(), None
    first_s = None
    while time.perf_counter() - t0 < rp.POLL_LIMIT_S:
        try:
            counted = peer.count_all()
        except Exception:  # noqa: BLE001 (not answering yet)
            counted = None
        now = time.perf_counter()
        if counted is not None and first_s is None:
            first_s = now - t0
        if counted == expected:
            break
        if counted != last:
            last, last_change = counted, now
        elif counted is not None and now - last_change > stable_s:
            break
        time.sleep(0.1)
    t = time.perf_counter() - t0
    return {"ready_s": round(ready_s, 3), "first_count_s": first_s and round(first_s, 3),
            "correct_count_s": round(t, 3) if counted == expected else None, "counted": counted,
            "lost_points": expected - (counted or 0), "cpu_accounting": fg.done()}


def wait_ports_free(peer, max_wait):
    """Another benchmark that does not take the lock may still run a peer on its fixed ports: wait
    (bounded) rather than fail; the harness itself refuses to start on a busy port."""
    t0 = time.time()
    while any(rp.port_open(p) for p in [peer.port] + peer.other_ports):
        if time.time() - t0 > max_wait:
            raise RuntimeError("%s's ports still busy after %d s (another server runs)" % (peer.name, max_wait))
        log("%s: port busy (not ours); waiting" % peer.name)
        time.sleep(5)
    return round(time.time() - t0, 1)


def run_peer(args, path, meta, key):
    P = rp.PEERS[key]
    pargs = SimpleNamespace(vm_dedup=None, setting=None, tag="")
    setting = args.victoria_setting if key == "victoria" else args.influx_setting
    setting = setting or rp.best_setting(P, pargs, http_only=True)
    res = {"system": key, "setting": setting}
    expected = meta["main_points"]
    peer = P(pargs)
    # a directory of our own: the harness's /tmp/peers/<peer> may belong to another benchmark
    peer.dir = os.path.join(args.peer_root, key)
    try:
        # wait for the ports before taking the lock (so as not to hold it while we wait), and
        # check again once we hold it
        res["port_wait_s"] = wait_ports_free(peer, args.port_max_wait)
        with BenchLock() as lock:
            res["lock_wait_s"] = round(lock.waited, 1)
            res["port_wait_s"] += wait_ports_free(peer, 60)
            # 1. ingest until queryable, peak RSS, settle, footprint
            peer.wipe()
            peer.start()
            res["cmd"] = " ".join(peer.cmd())
            r = rp.ingest_and_wait(peer, setting, path, meta)
            res["ingest"] = {k: r.get(k) for k in ("setting", "target", "batch_lines", "conc", "wall_s", "points_per_s",
                                                   "points_per_s_until_queryable", "queryable", "errors", "status",
                                                   "acked_lines", "quiet_check", "cpu_accounting_send")}
            if not r["queryable"]["ok"]:
                raise RuntimeError("not every point queryable after %d s: count %s" % (rp.POLL_LIMIT_S, r["queryable"]["count"]))
            res["points_per_s"] = r["points_per_s_until_queryable"]
            res["acked_points_per_s"] = r["points_per_s"]
            res["status_after_ingest"] = peer.status()
            res["peak_rss_mib"] = res["status_after_ingest"]["VmHWM_kB"] / 1024
            log("%s: %.0f points/s until queryable (%.0f acked), peak RSS %.0f MiB" % (
                key, res["points_per_s"], res["acked_points_per_s"], res["peak_rss_mib"]))
            res["settle"] = peer.settle()
            res["disk_after_settle"] = peer.disk()
            res["count_after_settle"] = peer.count_all()
            res["bytes_per_point"] = res["disk_after_settle"]["allocated_bytes"] / expected
            log("%s settled in %.1f s: %.3f bytes/point" % (key, res["settle"]["settle_s"], res["bytes_per_point"]))
            peer.stop()
            # 2. fresh directory, same ingest, kill -9 right after the last acknowledgement
            peer.wipe()
            peer.start()
            r2 = rp.ingest(peer, setting, path, max_lines=meta["main_rows"])
            t_kill = time.time()
            peer.stop(kill9=True)
            res["restart"] = {"kill_after_last_ack_s": round(t_kill - r2["t_end"], 3),
                              "acked_points": r2.get("acked_lines", 0) * 10}
            res["quiet_check_restart"] = rp.wait_quiet(max_wait=args.quiet_max_wait)
            res["restart"].update(peer_restart(peer, expected, args.stable_s))
            log("%s restart after kill -9: ready %.2f s, correct count %s s, lost %d" % (
                key, res["restart"]["ready_s"], res["restart"]["correct_count_s"], res["restart"]["lost_points"]))
    except (Exception, SystemExit) as e:  # noqa: BLE001 (the harness exits on a busy port)
        res["failed"] = repr(e)
        log(key, "FAILED:", repr(e))
    finally:
        peer.stop()
        subprocess.run(["rm", "-rf", peer.dir])
    return res


# ------------------------------------------------------------------------------------------ report
FIGURES = [
    # key, label, unit format, better ("high"/"low"), targets {peer: (op, value, text)}
    ("points_per_s", "ingest until every point is queryable, points/s", "{:,.0f}", "high",
     {"victoria": (">=", 2.0, "≥ 2x"), "influx": (">=", 10.0, "≥ 10x")}),
    ("peak_rss_mib", "peak RSS during ingest (VmHWM), MiB", "{:,.0f}", "low", {"victoria": ("<", 1.0, "below")}),
    ("bytes_per_point", "bytes per point after settling (allocated)", "{:.3f}", "low", {"victoria": ("<", 1.0, "below")}),
    ("settle_s", "settle time (Strata: FLUSH + COMPACT; peers: harness settle), s", "{:.1f}", "low", {}),
    ("restart_s", "restart after kill -9 right after the last ack, until the count is right, s", "{:.2f}", "low", {}),
    ("lost_points", "points lost by that kill -9", "{:,.0f}", "low", {}),
]


def figure(res, key):
    if "failed" in res and key not in res:
        return None
    if key == "settle_s":
        return (res.get("settle") or {}).get("settle_s")
    if key == "restart_s":
        r = res.get("restart") or {}
        return r.get("correct_count_s")
    if key == "lost_points":
        return (res.get("restart") or {}).get("lost_points")
    return res.get(key)


def fmt_range(mr, f):
    if not mr:
        return "—"
    s = f.format(mr["median"])
    if mr["n"] > 1 and mr["min"] != mr["max"]:
        s += " (%s–%s)" % (f.format(mr["min"]), f.format(mr["max"]))
    return s


def summarize(out):
    summary = {}
    for key, *_ in FIGURES:
        summary[key] = {}
        for sysname in SYSTEMS:
            vals = [figure(r, key) for r in out["runs"].get(sysname, [])]
            summary[key][sysname] = median_range(vals)
            summary[key][sysname + "_never_correct"] = key == "restart_s" and any(
                v is None and "restart" in r for v, r in zip(vals, out["runs"].get(sysname, [])))
    summary["strata_1conn_points_per_s"] = median_range([r.get("points_per_s") for r in out["runs"].get("strata_1conn", [])])
    summary["strata_1conn_peak_rss_mib"] = median_range([r.get("peak_rss_mib") for r in out["runs"].get("strata_1conn", [])])
    summary["strata_other_points_per_s"] = median_range([r.get("points_per_s") for r in out["runs"].get("strata_other", [])])
    summary["strata_other_peak_rss_mib"] = median_range([r.get("peak_rss_mib") for r in out["runs"].get("strata_other", [])])
    summary["peer_acked_points_per_s"] = {k: median_range([r.get("acked_points_per_s") for r in out["runs"].get(k, [])])
                                          for k in ("victoria", "influx")}
    return summary


def cpu_accountings(obj):
    """Every `cpu_accounting*` record in the results, wherever it is nested."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.startswith("cpu_accounting") and isinstance(v, dict) and "foreign_share_of_machine" in v:
                yield v
            else:
                yield from cpu_accountings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from cpu_accountings(v)


def render(out):
    s, a = out["summary"], out["args"]
    L = []
    A = L.append
    A("<!-- BEGIN ingest: generated by bench/bench_ingest.py; edits here are overwritten -->")
    A("## Ingest, footprint, peak RSS and restart after kill -9: Strata vs VictoriaMetrics vs InfluxDB")
    A("")
    m = out["machine"]
    A("Measured %s (UTC) on %d cores (%s, %.1f GiB RAM, Debian %s, kernel %s); the machine is shared, so before "
      "every timed step the script waits (at most %d s) for it to be < 15 %% busy and records the CPU other "
      "processes used (JSON: `cpu_accounting`, `quiet_check`). Runs: %d per system, each from an empty data "
      "directory, systems one at a time in rotating order. Cells: median (min–max) over the runs." % (
          out["date_utc"], m["nproc"], m["cpu_model"], m["MemTotal_kB"] / 2**20, m["debian"], m["kernel"],
          a["quiet_max_wait"], a["runs"]))
    A("")
    w = out["workload"]
    A("Data: `%s` (%s rows = %s points, %d hosts × %g day(s)). Strata %s (`%s`), loaded by "
      "`strata load --connections %d` (each series on one connection; ends with SYNC); VictoriaMetrics %s (HTTP %s); "
      "InfluxDB %s (HTTP %s) — setting = lines per request : connections, the peers harness's best HTTP "
      "setting (../shared/peers/RESULTS.md)." % (
          w["file"], "{:,}".format(w["main_rows"]), "{:,}".format(w["main_points"]), w["hosts"], w["days"],
          out["versions"]["strata"], out["strata_cmd"], a["strata_connections"],
          out["versions"]["victoria"], out["settings"].get("victoria"), out["versions"]["influx"],
          out["settings"].get("influx")))
    A("")
    A("| figure | Strata | VictoriaMetrics | InfluxDB | Strata/VM | Strata/Influx | target met |")
    A("|---|---|---|---|---|---|---|")
    for key, label, f, better, targets in FIGURES:
        row = s[key]
        cells = []
        for k in SYSTEMS:
            c = fmt_range(row[k], f)
            if row.get(k + "_never_correct"):
                c = "never correct" if c == "—" else c + " (not always correct)"
            cells.append(c)
        ratios, met = [], []
        for k in ("victoria", "influx"):
            if key != "lost_points" and row["strata"] and row[k] and row[k]["median"]:
                ratio = row["strata"]["median"] / row[k]["median"]
                ratios.append("%.2f" % ratio)
                if k in targets:
                    op, v, text = targets[k]
                    ok = ratio >= v if op == ">=" else ratio < v
                    met.append("%s %s: **%s**" % (text, "VM" if k == "victoria" else "Influx", "yes" if ok else "no"))
            else:
                ratios.append("—")
        A("| %s | %s | %s | %s |" % (label, " | ".join(cells), " | ".join(ratios), "; ".join(met) or "—"))
    A("")
    one, acked = s["strata_1conn_points_per_s"], s["peer_acked_points_per_s"]
    if one:
        A("Strata over 1 connection (fresh server, same flags): %s points/s until queryable, peak RSS %s MiB. "
          "Peers' rates counted at the last acknowledgement instead of until queryable: VictoriaMetrics %s, "
          "InfluxDB %s points/s (Strata acknowledges only durable and visible points, so its two figures are one)." % (
              fmt_range(one, "{:,.0f}"), fmt_range(s["strata_1conn_peak_rss_mib"], "{:,.0f}"),
              fmt_range(acked["victoria"], "{:,.0f}"), fmt_range(acked["influx"], "{:,.0f}")))
        A("")
    other = s.get("strata_other_points_per_s")
    if other:
        A("Strata with `--memtable-budget %s` (%d connections; the default budget is 64MiB, and a flush "
          "starts at a third of it): %s points/s until queryable, peak RSS %s MiB." % (
              a["strata_other_budget"], a["strata_connections"], fmt_range(other, "{:,.0f}"),
              fmt_range(s["strata_other_peak_rss_mib"], "{:,.0f}")))
        A("")
    A("How: points/s = points / wall time from the first request (Strata: spawning the loads) until a count over "
      "the socket returns every point (Strata `SELECT count(*)`, peers the harness's count-all query). Peak RSS = "
      "the server's VmHWM right then. Settled footprint = allocated bytes (`st_blocks` × 512) of the data "
      "directory / points, Strata after `FLUSH` + `COMPACT`, the peers after the harness's settle (forced flush + "
      "merge; cache snapshot + full compaction). Restart: Strata is killed (-9) right after the loads' SYNC and "
      "the count, and started again on the same directory (its footprint is then measured on that directory); "
      "each peer is loaded again into a fresh directory and killed right after its last HTTP 2xx. Time from exec "
      "until the count equals the points loaded; when it never does (it has not changed for %g s), the cell says "
      "so and the points lost are what is missing." % a["stable_s"])
    A("")
    wr = out.get("wal_restart")
    if wr and "failed" not in wr:
        rr = wr["restart"]
        A("| %g GB WAL restart (Strata) | WAL bytes | points | port file after | count right after | replay MB/s | "
          "replay points/s | ingest points/s (same load) | lost | target ≤ %g s |" % (wr["target_gb"], WAL_RESTART_TARGET_S))
        A("|---|---|---|---|---|---|---|---|---|---|")
        A("| `%s` | %s | %s | %.2f s | %s | %.0f | %s | %s | %s | **%s** |" % (
            "stratad --fsync " + wr["cmd"].split(" --fsync ", 1)[1],   # without the temporary paths
            "{:,}".format(wr["wal_bytes"]), "{:,}".format(wr["points"]), rr["port_file_s"],
            "%.2f s" % rr["correct_count_s"] if rr["correct_count_s"] else "never",
            wr["replay_MB_per_s"], "{:,.0f}".format(wr["replay_points_per_s"]),
            "{:,.0f}".format(wr["ingest_points_per_s"]), "{:,}".format(rr["lost_points"]),
            "yes" if rr["correct_count_s"] and rr["correct_count_s"] <= WAL_RESTART_TARGET_S else "no"))
        A("")
        A("Loaded `%s` (%d connections) into a server that flushed %s times before the kill (`--memtable-budget 8GiB "
          "--flush-age 0`), so the whole load is replayed from the WAL; one run." % (
              wr["workload"], a["strata_connections"], wr.get("flushes_before_kill")))
        A("")
    elif wr:
        A("1 GB WAL restart: failed: `%s`" % wr["failed"])
        A("")
    shares = [acc["foreign_share_of_machine"] for acc in cpu_accountings(out)]
    if shares:
        A("Other processes used at most %.0f %% of the machine (median %.0f %%) during the %d timed steps "
          "(ingest, restart; JSON `cpu_accounting`)." % (100 * max(shares), 100 * statistics.median(shares), len(shares)))
        A("")
    fails = ["%s run %d: `%s`" % (NAMES.get(k, k), i + 1, r["failed"]) for k, rs in out["runs"].items()
             for i, r in enumerate(rs) if "failed" in r]
    if fails:
        A("Failed runs: " + "; ".join(fails))
        A("")
    A("Command: `%s` (%.1f min). Versions: %s. Raw figures, every run: `bench/results/ingest.json`." % (
        out["command"], out["total_wall_s"] / 60, "; ".join("%s %s" % (NAMES[k], out["versions"][k]) for k in SYSTEMS)))
    A("<!-- END ingest -->")
    return "\n".join(L) + "\n"


def write_markdown(path, section):
    """Replaces the ingest section, or inserts it after the queries section (else appends)."""
    begin, end = "<!-- BEGIN ingest", "<!-- END ingest -->"
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n"
    b, e = text.find(begin), text.find(end)
    if b >= 0 and e > b:
        text = text[:b] + section.rstrip("\n") + text[e + len(end):]
    else:
        q = text.find("<!-- END queries -->")
        if q >= 0:
            q += len("<!-- END queries -->")
            text = text[:q] + "\n\n" + section.rstrip("\n") + text[q:]
        else:
            text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


# -------------------------------------------------------------------------------------------- main
def interrupted(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


def main():
    global rp, bq
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "release"))
    ap.add_argument("--data", default=os.path.join(REPO, "build", "bench-data", "cpu_h100_d1_s42.lp"),
                    help="workload from gen_workload.py (its .meta.json next to it)")
    ap.add_argument("--peers-dir", default=DEFAULT_PEERS)
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--strata-connections", type=int, default=2)
    ap.add_argument("--no-strata-1conn", action="store_true", help="skip the extra 1-connection Strata load")
    ap.add_argument("--strata-other-budget", default="256MiB",
                    help="an extra Strata load with this --memtable-budget (peak RSS vs rate; '' to skip)")
    ap.add_argument("--victoria-setting", help="default: the harness sweep's best HTTP setting")
    ap.add_argument("--influx-setting", help="default: the harness sweep's best HTTP setting")
    ap.add_argument("--wal-gb", type=float, default=0, help="Strata restart with this many GB of WAL (0: skip)")
    ap.add_argument("--stable-s", type=float, default=10,
                    help="after a restart, give up on a count that has not changed for this long")
    ap.add_argument("--quiet-max-wait", type=float, default=120,
                    help="before each timed step wait at most this long for the machine to be < 15%% busy")
    ap.add_argument("--port-max-wait", type=float, default=900,
                    help="wait at most this long for a peer's ports to be free (another benchmark's server)")
    ap.add_argument("--tmp", default="/tmp", help="where Strata's data directories go")
    ap.add_argument("--peer-root", default="/tmp/strata-bench-ingest-peers",
                    help="the peers' data directories (<root>/victoria, <root>/influx; removed after each run)")
    ap.add_argument("--out-json", default=os.path.join(HERE, "results", "ingest.json"))
    ap.add_argument("--out-md", default=os.path.join(REPO, "BENCHMARKS.md"), help="'' to skip")
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    sys.path.insert(0, args.peers_dir)
    sys.path.insert(0, HERE)
    rp = importlib.import_module("run_peer")
    bq = importlib.import_module("bench_queries")
    bq.rp = rp
    # the harness's ingest_and_wait waits up to 900 s for quiet; bound it like every other step
    rp.wait_quiet = functools.partial(rp.wait_quiet, max_wait=args.quiet_max_wait)
    # SIGTERM/SIGHUP unwind like Ctrl-C, so every finally (and stop_all) runs
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    atexit.register(stop_all)

    t_begin = time.time()
    path = os.path.abspath(args.data)
    with open(path + ".meta.json") as f:
        meta = json.load(f)
    systems = [s for s in args.systems.split(",") if s]
    git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    out = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "machine": rp.machine(),
           "command": " ".join(shlex.quote(x) for x in ["python3", os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
           "args": vars(args),
           "workload": dict({k: meta[k] for k in ("hosts", "days", "seed", "main_rows", "main_points")},
                            file=os.path.relpath(path, REPO) if path.startswith(REPO + "/") else path),
           # the binaries may come from another checkout than this script: name the file and its time
           "versions": {"strata": "`%s/server/stratad` built %s UTC; script at %s" % (
               os.path.relpath(args.build_dir, REPO) if args.build_dir.startswith(REPO + "/") else args.build_dir,
               time.strftime("%Y-%m-%d %H:%M", time.gmtime(os.path.getmtime(os.path.join(args.build_dir, "server", "stratad")))),
               git),
                        "victoria": rp.pkg_version(PACKAGES["victoria"]), "influx": rp.pkg_version(PACKAGES["influx"])},
           "strata_cmd": "stratad --fsync always --log-level warn", "settings": {}, "runs": {}}
    try:
        for i in range(args.runs):
            order = systems[i % len(systems):] + systems[:i % len(systems)]
            for key in order:
                log("==== run %d/%d: %s" % (i + 1, args.runs, key))
                if key == "strata":
                    out["runs"].setdefault("strata", []).append(run_strata(args, path, meta, args.strata_connections))
                    if args.strata_connections > 1 and not args.no_strata_1conn:
                        out["runs"].setdefault("strata_1conn", []).append(run_strata(args, path, meta, 1))
                    if args.strata_other_budget:
                        out["runs"].setdefault("strata_other", []).append(run_strata(
                            args, path, meta, args.strata_connections,
                            ["--memtable-budget", args.strata_other_budget]))
                else:
                    r = run_peer(args, path, meta, key)
                    if "failed" in r:       # e.g. another benchmark held its port: one more try
                        failed = r["failed"]
                        r = run_peer(args, path, meta, key)
                        r["earlier_attempt_failed"] = failed
                    out["settings"][key] = r["setting"]
                    out["runs"].setdefault(key, []).append(r)
        if args.wal_gb > 0 and "strata" in systems:
            log("==== Strata restart with %g GB of WAL" % args.wal_gb)
            out["wal_restart"] = run_wal_restart(args, path, meta)
    finally:
        stop_all()
        out["quiet_checks"] = list(rp.QUIET_LOG)
        out["total_wall_s"] = time.time() - t_begin
        out["summary"] = summarize(out)
        os.makedirs(os.path.dirname(os.path.abspath(args.out_json)), exist_ok=True)
        with open(args.out_json, "w") as f:
            json.dump(out, f, indent=1, default=str)
        log("wrote", args.out_json)
    section = render(out)
    if args.out_md:
        write_markdown(args.out_md, section)
        log("wrote", args.out_md)
    print(section)
    print("full run: %.1f min" % (out["total_wall_s"] / 60))


if __name__ == "__main__":
    main()
