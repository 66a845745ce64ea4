#!/usr/bin/env python3
"""TSBS "devops cpu-only" query suite against Strata, VictoriaMetrics and InfluxDB, on the same data.

    make bench-peers                      # builds, generates the workload if missing, runs this
    python3 bench/bench_queries.py [--build-dir build/release] [--data build/bench-data/cpu_h100_d1_s42.lp]

Stdlib Python 3.11 only. One system at a time, each from an empty data directory:

  1. Strata: `stratad --port 0 --fsync off` in a temporary directory, `strata load --quiet <file>`,
     then FLUSH and COMPACT. VictoriaMetrics 1.79.5 and InfluxDB 1.6.7 (Debian packages) are
     started, loaded and settled with the peers harness (../shared/peers/run_peer.py: same flags
     and configuration, data under /tmp/peers/<peer>, the ingest setting its sweep chose, wait
     until every point is queryable, then its settle step: forced flush + merge, resp. cache
     snapshot + full compaction).
     The two peers never run at the same time; the harness refuses to start one on a busy port.
  2. The queries: TSBS's devops generator (single-groupby-M-H-T, cpu-max-all-H, double-groupby-M,
     high-cpu-H, lastpoint, groupby-orderby-limit) with its InfluxQL text (run unchanged on Strata
     and InfluxDB) and its VictoriaMetrics MetricsQL text, the random hosts and time windows drawn
     once from --seed, so every system gets the same ones; plus the peers harness's Q1..Q5 (Q4 the
     hourly median, Q5 the rolling median) with its exact texts. A query a system cannot express is
     reported as N/A with the reason, never replaced by something else without saying so.
  3. Per system and query: 1 warm-up + 7 timed runs on one persistent connection (raw TCP for
     Strata, HTTP keep-alive for the peers); the time is the client's wall time from sending the
     request until the whole answer has been received (not parsed); the median is reported. The
     machine is shared: runs during which other processes used > 10 % of it are measured again
     (at most 3 times, after waiting for a quiet machine), and still-disturbed cells are flagged.
  4. Answers: row counts for all; Strata and InfluxDB compared row by row where they run the same
     statement (same rows, numbers within 1e-9 relative); Strata's rolling median against
     VictoriaMetrics' median_over_time where their windows coincide; Q1 against the generator's
     exact answer. Every mismatch is printed and written to the report.
  5. Writes bench/results/queries.json (everything) and the "Queries" section of BENCHMARKS.md
     (other sections of that file are kept).
"""
import argparse
import functools
import http.client
import importlib
import json
import math
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_PEERS = os.path.normpath(os.path.join(REPO, "..", "shared", "peers"))

FIELDS = ["usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
          "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"]
DAY0 = 1767225600            # 2026-01-01T00:00:00Z, first timestamp of the workload
DAY1 = DAY0 + 86400          # end of the 1-day workload (exclusive)
# TSBS devops durations (cmd/tsbs_generate_queries/uses/devops/common.go)
DOUBLE_GROUPBY_S = 12 * 3600
HIGH_CPU_S = 12 * 3600
MAX_ALL_S = 8 * 3600

SYSTEMS = ["strata", "victoria", "influx"]
SYSTEM_NAMES = {"strata": "Strata", "victoria": "VictoriaMetrics", "influx": "InfluxDB"}

rp = None   # ../shared/peers/run_peer.py, imported in main()


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def rfc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_time_ns(s):
    """RFC 3339 UTC ('2026-01-01T00:00:00Z', '...00.000000000Z') or an integer -> ns."""
    if isinstance(s, (int, float)):
        return int(s)
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z", s)
    if not m:
        raise ValueError("bad time %r" % s)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    import calendar
    secs = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0))
    frac = (m.group(7) or "").ljust(9, "0")[:9]
    return secs * 10**9 + int(frac)


# ---------------------------------------------------------------------------------------- queries
def influx_hosts(hosts):
    return "(" + " or ".join("hostname = '%s'" % h for h in hosts) + ")"


def vm_select(metrics, hosts):
    """TSBS victoriametrics getSelectClause."""
    if not hosts:
        hc = ""
    elif len(hosts) == 1:
        hc = "hostname='%s'" % hosts[0]
    else:
        hc = "hostname=~'%s'" % "|".join(hosts)
    if len(metrics) == 1:
        return "cpu_%s{%s}" % (metrics[0], hc)
    mc = "|".join(metrics)
    if hosts:
        return "{__name__=~'cpu_(%s)', %s}" % (mc, hc)
    return "{__name__=~'cpu_(%s)'}" % mc


def vm_range(query, start, end, step):
    return {"path": "/api/v1/query_range",
            "params": {"query": query, "start": str(start), "end": str(end), "step": str(step)}}


def vm_instant(query, t):
    return {"path": "/api/v1/query", "params": {"query": query, "time": str(t)}}


def build_queries(seed, nhosts, now_s):
    """The query list. Random choices (TSBS: rand.Perm for hosts, a uniform start for the window,
    formatted to whole seconds) come from one seeded generator, in this fixed order."""
    rng = random.Random(seed)

    def hosts(n):
        return ["host_%d" % i for i in rng.sample(range(nhosts), n)]

    def window(secs):
        off = rng.randrange(0, 86400 - secs)
        return DAY0 + off, DAY0 + off + secs

    qs = []

    def add(name, desc, influxql=None, strata=None, vm=None, vm_na=None, vm_note=None,
            influx_na=None, influx_emulation=None, group_tags=(), ordered=True, compare=True,
            strata_note=None, tsbs=True, hosts=None, window=None, influx_note=None):
        qs.append({"name": name, "desc": desc, "tsbs": tsbs, "hosts": hosts, "influx_note": influx_note,
                   "window": "[%s, %s)" % (rfc(window[0]), rfc(window[1])) if window else None,
                   "strata": strata if strata is not None else influxql,
                   "influx": None if influx_na else influxql, "influx_na": influx_na,
                   "influx_emulation": influx_emulation, "strata_note": strata_note,
                   "vm": vm, "vm_na": vm_na, "vm_note": vm_note, "group_tags": list(group_tags),
                   "ordered": ordered, "compare": compare})

    # single-groupby-M-H-T: max of M cpu fields per minute, H random hosts, random T-hour window
    for m, h, t in ((1, 1, 1), (1, 1, 12), (5, 8, 1)):
        s, e = window(t * 3600)
        hs = hosts(h)
        metrics = FIELDS[:m]
        add("single-groupby-%d-%d-%d" % (m, h, t),
            "max of %d field(s) per 1m, %d random host(s), random %dh window" % (m, h, t),
            "SELECT %s from cpu where %s and time >= '%s' and time < '%s' group by time(1m)" % (
                ", ".join("max(%s)" % f for f in metrics), influx_hosts(hs), rfc(s), rfc(e)),
            vm=vm_range("max(max_over_time(%s[1m])) by (__name__)" % vm_select(metrics, hs), s, e, 60),
            hosts=hs, window=(s, e))
    # cpu-max-all-H: max of all 10 fields per hour, H random hosts, random 8h window
    for h in (1, 8):
        s, e = window(MAX_ALL_S)
        hs = hosts(h)
        add("cpu-max-all-%d" % h, "max of all 10 fields per 1h, %d random host(s), random 8h window" % h,
            "SELECT %s from cpu where %s and time >= '%s' and time < '%s' group by time(1h)" % (
                ",".join("max(%s)" % f for f in FIELDS), influx_hosts(hs), rfc(s), rfc(e)),
            vm=vm_range("max(max_over_time(%s[1h])) by (__name__)" % vm_select(FIELDS, hs), s, e, 3600),
            hosts=hs, window=(s, e))
    # double-groupby-M: mean of M fields per hour and host, all hosts, random 12h window
    for label, m in (("1", 1), ("all", 10)):
        s, e = window(DOUBLE_GROUPBY_S)
        metrics = FIELDS[:m]
        add("double-groupby-%s" % label, "mean of %d field(s) per 1h and hostname, all hosts, random 12h window" % m,
            "SELECT %s from cpu where time >= '%s' and time < '%s' group by time(1h),hostname" % (
                ", ".join("mean(%s)" % f for f in metrics), rfc(s), rfc(e)),
            vm=vm_range("avg(avg_over_time(%s[1h])) by (__name__, hostname)" % vm_select(metrics, None), s, e, 3600),
            group_tags=["hostname"], window=(s, e))
    # high-cpu-H: whole rows where usage_user > 90, H random hosts (0 = all), random 12h window
    vm_na_raw = ("N/A: raw rows with a value filter; PromQL/MetricsQL return per-metric samples, "
                 "not whole rows (TSBS: \"HighCPUForHosts not supported in PromQL\")")
    for label, h in (("1", 1), ("all", 0)):
        s, e = window(HIGH_CPU_S)
        hs = hosts(h) if h else None
        hc = "and %s" % influx_hosts(hs) if h else ""
        add("high-cpu-%s" % label, "raw rows with usage_user > 90, %s, random 12h window" % (
            "1 random host" if h else "all hosts"),
            "SELECT * from cpu where usage_user > 90.0 %s and time >= '%s' and time < '%s'" % (hc, rfc(s), rfc(e)),
            vm_na=vm_na_raw, ordered=False, hosts=hs, window=(s, e))
    # lastpoint: the last row of every host (TSBS's InfluxQL text), then the dashboard form of
    # DESIGN.md §7 (last(*), meant to be served from a per-series last-value cache)
    days_back = int(math.ceil((now_s - DAY0) / 86400.0)) + 1
    vm_last = vm_instant("last_over_time({__name__=~'cpu_.*'}[%dd])" % days_back, now_s)
    vm_last_note = ("not emitted by TSBS (\"LastPointPerHost not supported in PromQL\"); MetricsQL "
                    "equivalent: instant query at now, look-back reaching the first sample, "
                    "the last value of each of the {:,} series ({} hosts x 10 fields)".format(10 * nhosts, nhosts))
    add("lastpoint", "last row per host (TSBS InfluxQL: SELECT * ... GROUP BY hostname ORDER BY time DESC LIMIT 1)",
        'SELECT * from cpu group by "hostname" order by time desc limit 1',
        vm=vm_last, vm_note=vm_last_note, group_tags=["hostname"])
    add("lastpoint-last(*)", "last value of every field per host, DESIGN.md §7 dashboard form",
        "SELECT last(*) FROM cpu GROUP BY hostname", vm=vm_last, vm_note=vm_last_note,
        group_tags=["hostname"], tsbs=False)
    # groupby-orderby-limit: max(usage_user) per minute, the 5 latest minutes before a random end
    s, e = window(3600)
    add("groupby-orderby-limit", "max(usage_user) per 1m, the 5 latest 1m buckets before a random end time",
        "SELECT max(usage_user) from cpu WHERE time < '%s' group by time(1m) ORDER BY time DESC limit 5" % rfc(e),
        influx_note=("TSBS's InfluxQL text has no `ORDER BY time DESC` (`... group by time(1m) limit 5`), so InfluxDB "
                     "would answer the first 5 minutes of the data; added here to ask what TSBS defines (its SQL "
                     "generators: ORDER BY minute DESC LIMIT 5)"),
        vm=vm_range("max(max_over_time(cpu_usage_user[1m]))", e - 240, e, 60),
        vm_note=("not emitted by TSBS (\"GroupByOrderByLimit not supported in PromQL\"); MetricsQL "
                 "equivalent: 5 steps of 1m ending at the end time, windows (t-1m, t] instead of "
                 "epoch-aligned [t, t+1m) buckets, and no search for where the data ends"))
    # the peers harness's queries (../shared/peers/run_peer.py, exact texts)
    I, V = rp.Influx, rp.Victoria
    rs, re_ = rp.T_DAY_START + 3600, rp.T_DAY_END
    add("Q1 (peers)", "count, mean, max of usage_user over the whole day, all series", I.Q1,
        vm=vm_instant(V.Q1, rp.T_DAY_END), tsbs=False)
    add("Q2 (peers)", "mean(usage_user) per 1h, host_0, whole day", I.Q2,
        vm=vm_range(V.Q2, rs, re_, "1h"), tsbs=False)
    add("Q3 (peers)", "mean(usage_user) per 1h and region, whole day", I.Q3,
        vm=vm_range(V.Q3, rs, re_, "1h"), group_tags=["region"], tsbs=False)
    add("median (peers Q4)", "median(usage_user) per 1h, host_0, whole day", I.Q4,
        vm=vm_range(V.Q4, rs, re_, "1h"), tsbs=False,
        vm_note="windows (t-1h, t] at t = 01:00..24:00; InfluxQL buckets are [t, t+1h)")
    q5_strata = ("SELECT rolling_median(usage_user, 1h) FROM cpu WHERE hostname = 'host_0' AND "
                 "time >= '%s' AND time < '%s' GROUP BY time(10m)" % (rp.DAY_START, rp.DAY_END))
    add("rolling-median (peers Q5)", "rolling 1h median of usage_user every 10m, host_0, whole day",
        None, strata=q5_strata, vm=vm_range(V.Q5, rs, re_, "10m"), tsbs=False,
        influx_na="N/A: InfluxQL has no rolling median (moving_average() is a mean over N points)",
        influx_emulation=list(I.Q5_EMU), compare=False,
        vm_note="median_over_time over (t-1h, t] at t = 01:00..24:00 step 10m; Strata's row t is the same window")
    return qs


# ---------------------------------------------------------------------------------------- clients
class StrataServer:
    name = "strata"

    def __init__(self, build_dir, workdir):
        self.build_dir = build_dir
        self.workdir = workdir
        self.proc = None
        self.port = None

    def start(self):
        data = os.path.join(self.workdir, "data")
        port_file = os.path.join(self.workdir, "port")
        self.logf = open(os.path.join(self.workdir, "stratad.log"), "ab")
        cmd = [os.path.join(self.build_dir, "server", "stratad"), "--data-dir", data, "--port", "0",
               "--port-file", port_file, "--fsync", "off", "--log-level", "warn"]
        t0 = time.time()
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT)
        log("strata started pid %d: %s" % (self.proc.pid, " ".join(cmd)))
        while time.time() - t0 < 60:
            if self.proc.poll() is not None:
                raise RuntimeError("stratad exited rc=%s, see %s/stratad.log" % (self.proc.returncode, self.workdir))
            if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                return cmd
            time.sleep(0.05)
        raise RuntimeError("stratad did not write its port file in 60 s")

    def load(self, path):
        cmd = [os.path.join(self.build_dir, "tools", "strata"), "--port", str(self.port), "load", "--quiet", path]
        t0 = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError("strata load rc=%d: %s %s" % (r.returncode, r.stdout[-500:], r.stderr[-500:]))
        return {"cmd": " ".join(cmd), "wall_s": round(time.time() - t0, 2), "summary": r.stdout.strip()}

    def cpu_s(self):
        return rp.proc_cpu_s(self.proc.pid) if self.proc else None

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


class StrataClient:
    """One persistent TCP connection; one query per line; the answer ends with an `END <rows>
    <micros>` line, or is (or ends with) an `ERR <reason>` line."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=900)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, text):
        self.sock.sendall(text.encode() + b"\n")
        buf = bytearray()
        while True:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("stratad closed the connection")
            buf += chunk
            if buf.endswith(b"\n"):
                i = buf.rfind(b"\n", 0, len(buf) - 1)
                last = bytes(buf[i + 1:-1])
                if last.startswith(b"END ") or last.startswith(b"ERR") or (i < 0 and last.startswith((b"OK", b"PONG"))):
                    return bytes(buf)

    def close(self):
        try:
            self.sock.sendall(b"QUIT\n")
        except OSError:
            pass
        self.sock.close()


class HttpClient:
    """One persistent HTTP/1.1 keep-alive connection (reopened once if the server closed it)."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)

    def get(self, path):
        for attempt in (0, 1):
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, ConnectionError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
                if attempt:
                    raise

    def close(self):
        self.conn.close()


def vm_path(spec):
    p = dict(spec["params"])
    p["nocache"] = "1"          # as the peers harness: no rollup-result cache (server also runs -search.disableCache)
    return spec["path"] + "?" + urllib.parse.urlencode(p)


def influx_path(q):
    return "/query?" + urllib.parse.urlencode({"db": rp.Influx.DB, "q": q})


# ---------------------------------------------------------------------------------------- answers
def cell(v):
    if v is None or v == "":
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


def parse_strata(raw):
    text = raw.decode()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return {"error": "empty answer"}
    if lines[-1].startswith("ERR"):
        return {"error": lines[-1], "rows": len(lines) - 2 if len(lines) > 1 else 0}
    m = re.fullmatch(r"END (\d+) (\d+)", lines[-1])
    if not m:
        return {"error": "unexpected answer end: %r" % lines[-1][:200]}
    cols = lines[0].split("\t")
    rows = [ln.split("\t") for ln in lines[1:-1]]
    return {"columns": cols, "rows_data": rows, "rows": int(m.group(1)), "server_us": int(m.group(2))}


def parse_influx(raw):
    d = json.loads(raw)
    if "error" in d:
        return {"error": d["error"]}
    res = d.get("results", [{}])[0]
    if "error" in res:
        return {"error": res["error"]}
    series = res.get("series", [])
    return {"series": series, "rows": sum(len(s["values"]) for s in series), "nseries": len(series)}


def parse_vm(raw):
    d = json.loads(raw)
    if d.get("status") != "success":
        return {"error": "%s: %s" % (d.get("errorType"), d.get("error"))}
    data = d["data"]
    res = data["result"]
    if data.get("resultType") == "matrix":
        pts = sum(len(s["values"]) for s in res)
    else:
        pts = len(res)
    return {"result": res, "resultType": data.get("resultType"), "rows": pts, "nseries": len(res)}


def norm_strata(a, group_tags):
    cols = a["columns"]
    has_time = bool(cols) and cols[0] == "time"
    i = 1 if has_time else 0
    k = len(group_tags)
    items = cols[i + k:]
    recs = []
    for r in a["rows_data"]:
        t = parse_time_ns(r[0]) if has_time else None
        recs.append(((t, tuple(r[i:i + k])), [cell(v) for v in r[i + k:]]))
    return {"has_time": has_time, "tag_columns": cols[i:i + k], "items": items, "recs": recs}


def norm_influx(a, group_tags):
    recs = []
    items = None
    for s in a["series"]:
        tags = tuple(s.get("tags", {}).get(t, "") for t in group_tags)
        cols = s["columns"]
        items = cols[1:]
        for v in s["values"]:
            recs.append(((parse_time_ns(v[0]), tags), [cell(x) for x in v[1:]]))
    return {"has_time": True, "items": items or [], "recs": recs}


def close_enough(a, b, rel=1e-9):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= rel * max(abs(a), abs(b))
    return a == b


def compare_strata_influx(q, sa, ia):
    """Row-by-row comparison; returns {"ok": bool, "note": str, "diffs": [...]}."""
    s = norm_strata(sa, q["group_tags"])
    i = norm_influx(ia, q["group_tags"])
    notes = []
    if s["tag_columns"] != q["group_tags"]:
        notes.append("Strata tag columns %s, expected %s" % (s["tag_columns"], q["group_tags"]))
    srecs, irecs = s["recs"], i["recs"]
    if not s["has_time"]:        # whole-range aggregate: InfluxDB still returns a time column
        irecs = [((None, k[1]), v) for k, v in irecs]
    # item columns: by name when both name them alike (raw '*', last(*)), else by position
    if i["items"] and s["items"] != i["items"]:
        if len(s["items"]) != len(i["items"]):
            return {"ok": False, "note": "columns differ: Strata %s vs InfluxDB %s" % (s["items"], i["items"]),
                    "diffs": []}
        notes.append("item columns compared by position (InfluxDB names them %s)" % ",".join(i["items"][:3]) +
                     ("..." if len(i["items"]) > 3 else ""))
    if len(srecs) != len(irecs):
        sk = set(k for k, _ in srecs)
        ik = set(k for k, _ in irecs)
        only_s = sorted(sk - ik, key=repr)[:3]
        only_i = sorted(ik - sk, key=repr)[:3]
        return {"ok": False, "note": "row count: Strata %d vs InfluxDB %d; keys only in Strata %s, only in InfluxDB %s"
                % (len(srecs), len(irecs), [fmt_key(k) for k in only_s], [fmt_key(k) for k in only_i]),
                "diffs": []}

    def diffs_of(a, b):
        out = []
        for (ka, va), (kb, vb) in zip(a, b):
            if ka != kb:
                out.append({"strata_key": fmt_key(ka), "influx_key": fmt_key(kb)})
            elif len(va) != len(vb) or not all(close_enough(x, y) for x, y in zip(va, vb)):
                bad = [(n, x, y) for n, x, y in zip(s["items"], va, vb) if not close_enough(x, y)]
                out.append({"key": fmt_key(ka), "columns": [{"column": n, "strata": x, "influx": y} for n, x, y in bad[:4]]})
        return out

    d = diffs_of(srecs, irecs)
    if d and not q["ordered"] or (d and all("strata_key" in x for x in d)):
        def skey(r):
            return (r[0][0] if r[0][0] is not None else -1, r[0][1], [repr(x) for x in r[1]])
        d2 = diffs_of(sorted(srecs, key=skey), sorted(irecs, key=skey))
        if not d2:
            if q["ordered"]:
                def groups(recs):
                    g = []
                    for k, _ in recs:
                        if not g or g[-1] != k[1]:
                            g.append(k[1])
                    return g
                gs, gi = groups(srecs), groups(irecs)
                why = ""
                if len(gs) > 1 and gi == gs[::-1]:
                    why = (": InfluxDB emits the %s groups in descending order (%s first), Strata in ascending "
                           "order (%s first); rows within each group agree" % (
                               len(gs), ",".join(gi[0]), ",".join(gs[0])))
                return {"ok": False, "note": "same rows, different order" + why, "diffs": d[:5]}
            notes.append("same rows; order of rows at equal times not compared (no ORDER BY on ties)")
            d = []
        else:
            d = d2
    if d:
        return {"ok": False, "note": "%d of %d rows differ" % (len(d), len(srecs)) + ("; " + "; ".join(notes) if notes else ""),
                "diffs": d[:5]}
    return {"ok": True, "note": "%d rows equal" % len(srecs) + ("; " + "; ".join(notes) if notes else ""), "diffs": []}


def fmt_key(k):
    t, tags = k
    out = rfc(t // 10**9) if t is not None else ""
    if t is not None and t % 10**9:
        out = "%s+%dns" % (out, t % 10**9)
    return (out + " " + ",".join(tags)).strip()


def compare_strata_vm_rolling(sa, va):
    """Strata's rolling_median(f, w) GROUP BY time(s) row t = median of (t-w, t]; VictoriaMetrics
    median_over_time(f[w]) at step t = the same window. Compared at the steps both have."""
    s = norm_strata(sa, [])
    sv = {k[0] // 10**9: v[0] for k, v in s["recs"]}
    if not va["result"]:
        return {"ok": False, "note": "VictoriaMetrics returned no series", "diffs": []}
    vv = {int(float(t)): float(x) for t, x in va["result"][0]["values"]}
    common = sorted(set(sv) & set(vv))
    bad = [{"time": rfc(t), "strata": sv[t], "victoria": vv[t]} for t in common if not close_enough(sv[t], vv[t])]
    note = "%d common steps (Strata %d rows, VictoriaMetrics %d points)" % (len(common), len(sv), len(vv))
    if not common:
        return {"ok": False, "note": "no common steps; " + note, "diffs": []}
    if bad:
        return {"ok": False, "note": "%d of %s differ" % (len(bad), note), "diffs": bad[:5]}
    return {"ok": True, "note": "equal at " + note, "diffs": []}


def q1_values(system, a):
    """count, mean, max of Q1 as numbers, from each system's answer."""
    if "error" in a:
        return None
    if system == "strata":
        r = a["rows_data"][0]
        return {"count": float(r[0]), "mean": float(r[1]), "max": float(r[2])}
    if system == "influx":
        v = a["series"][0]["values"][0]
        return {"count": float(v[1]), "mean": float(v[2]), "max": float(v[3])}
    return {s["metric"]["stat"]: float(s["value"][1]) for s in a["result"]}


# ---------------------------------------------------------------------------------------- running
def timed(fn, runs, warmup):
    """warmup untimed calls, then runs timed ones: (latencies in ms, the timed answers)."""
    for _ in range(warmup):
        fn()
    lat, raws = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        raw = fn()
        lat.append((time.perf_counter() - t0) * 1000.0)
        raws.append(raw)
    return lat, raws


def disturbed(acc, args):
    """Other processes took more than --max-foreign of the machine during a measurement (ignoring
    less than 50 ms of their CPU: /proc/stat counts in 10 ms ticks)."""
    return acc["foreign_cpu_s"] > 0.05 and acc["foreign_share_of_machine"] > args.max_foreign


def timed_quiet(fn, args, server, warmup):
    """timed(), repeated (up to --retries times, after waiting for a quiet machine) while other
    processes disturbed it; returns the least disturbed attempt and a summary of every attempt."""
    attempts = []
    best = None
    for attempt in range(1 + args.retries):
        if attempt:
            rp.wait_quiet(max_wait=args.retry_quiet_max_wait)
        fg = rp.Foreign(server)
        lat, raws = timed(fn, args.runs, warmup if attempt == 0 else 1)
        acc = fg.done()
        attempts.append({"median_ms": statistics.median(lat), "cpu_accounting": acc})
        if best is None or acc["foreign_share_of_machine"] < best[2]["foreign_share_of_machine"]:
            best = (lat, raws, acc)
        if not disturbed(acc, args):
            break
        log("  other processes used %.0f%% of the machine during these runs; measuring again" % (
            100 * acc["foreign_share_of_machine"]))
    return best[0], best[1], best[2], attempts


def summarize(lat):
    return {"median_ms": statistics.median(lat), "min_ms": min(lat), "max_ms": max(lat),
            "all_ms": [round(x, 3) for x in lat]}


def run_queries(system, queries, request, args, server, ping=None):
    """request(q) -> (text shown in the report, callable that returns the raw answer, parser) or
    None when the system cannot express q. Returns {name: result} and keeps parsed answers."""
    results, answers = {}, {}
    rp.QUIET_LOG.append({"before": "%s queries" % system})
    quiet = rp.wait_quiet(max_wait=args.quiet_max_wait)
    fg_all = rp.Foreign(server)
    if ping is not None:                               # the floor: a trivial request on the same connection
        lat, _ = timed(ping[1], args.runs, args.warmup)
        quiet["baseline_round_trip"] = dict(summarize(lat), text=ping[0])
    for q in queries:
        r = {"name": q["name"]}
        spec = request(q)
        if spec.get("na"):
            r["na"] = spec["na"]
        if spec.get("note"):
            r["note"] = spec["note"]
        r["text"] = spec.get("text")
        fn, parser = spec.get("fn"), spec.get("parser")
        if fn is not None:
            fg = rp.Foreign(server)
            try:
                first = fn()                           # the first warm-up: an error is recorded, not timed
                a = parser(first)
                if "error" in a:
                    r["error"] = a["error"]
                    r["rows"] = a.get("rows")
                else:
                    lat, raws, acc, attempts = timed_quiet(fn, args, server, warmup=args.warmup - 1)
                    raw = raws[-1]
                    a = parser(raw)
                    r.update(summarize(lat))
                    r["cpu_accounting"] = acc
                    if len(attempts) > 1:
                        r["attempts"] = attempts
                    if system == "strata":          # the server's own time, from each END line
                        us = [int(x.rstrip(b"\n").rsplit(b"\n", 1)[-1].split()[2]) for x in raws]
                        r["server_median_ms"] = statistics.median(us) / 1000.0
                    if "error" in a:
                        r["error"] = a["error"]
                    r["rows"] = a.get("rows")
                    for k in ("nseries", "server_us"):
                        if k in a:
                            r[k] = a[k]
                    answers[q["name"]] = a
            except Exception as e:  # noqa: BLE001 - a failure is a result to report
                r["error"] = "client: %r" % (e,)
            r["cpu_accounting_incl_warmup"] = fg.done()
        if spec.get("emulation_fn") is not None:
            try:
                lat, raws, acc, attempts = timed_quiet(spec["emulation_fn"], args, server, warmup=args.warmup)
                r["emulation"] = dict(summarize(lat), text=spec["emulation_text"], rows=spec["emulation_rows"](raws[-1]),
                                      cpu_accounting=acc)
            except Exception as e:  # noqa: BLE001
                r["emulation"] = {"error": "client: %r" % (e,), "text": spec["emulation_text"]}
        results[q["name"]] = r
        if "median_ms" in r:
            log("%-9s %-28s median %9.2f ms  rows %s" % (system, q["name"], r["median_ms"], r.get("rows")))
        elif "error" in r:
            log("%-9s %-28s ERROR %s" % (system, q["name"], r["error"][:200]))
        else:
            log("%-9s %-28s %s" % (system, q["name"], r.get("na", "")[:100]))
    quiet["cpu_accounting_all_queries"] = fg_all.done()
    return results, answers, quiet


def run_strata(args, queries, path, meta, out):
    work = tempfile.mkdtemp(prefix="strata-bench-queries.", dir="/tmp")
    srv = StrataServer(args.build_dir, work)
    res = {"system": "strata", "build_dir": args.build_dir}
    try:
        res["git"] = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                    capture_output=True, text=True).stdout.strip()
        res["stratad_mtime_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(
            os.path.getmtime(os.path.join(args.build_dir, "server", "stratad"))))
        res["cmd"] = " ".join(srv.start())
        rp.QUIET_LOG.append({"before": "strata load"})
        res["quiet_check_before_load"] = rp.wait_quiet(max_wait=args.load_quiet_max_wait)
        res["load"] = srv.load(path)
        log("strata", res["load"]["summary"])
        cl = StrataClient(srv.port)
        t0 = time.time()
        flush = cl.request("FLUSH").decode().strip()
        res["flush"] = {"answer": flush, "wall_s": round(time.time() - t0, 2)}
        # Settled like the peers (forced merge, full compaction): COMPACT also waits for a
        # background compaction, which otherwise could start during the queries and take a core.
        t0 = time.time()
        compact = cl.request("COMPACT").decode().strip()
        res["compact"] = {"answer": compact, "wall_s": round(time.time() - t0, 2)}
        cnt = parse_strata(cl.request("SELECT count(*) FROM cpu WHERE time >= '%s' AND time < '%s'" % (rp.DAY_START, rp.DAY_END)))
        if "error" in cnt:
            cnt = parse_strata(cl.request("SELECT count(usage_user) FROM cpu"))
            res["count_after_load"] = {"usage_user": cnt.get("rows_data") or cnt.get("error")}
        else:
            res["count_after_load"] = dict(zip(cnt["columns"], cnt["rows_data"][0])) if cnt["rows_data"] else {}
        res["server_status_after_load"] = srv.status()

        def request(q):
            if not q["strata"]:
                return {"na": "N/A"}
            return {"text": q["strata"], "fn": functools.partial(cl.request, q["strata"]), "parser": parse_strata,
                    "note": q.get("strata_note")}
        res["queries"], answers, res["quiet_check_before_queries"] = run_queries(
            "strata", queries, request, args, srv, ping=("PING", functools.partial(cl.request, "PING")))
        res["server_status_end"] = srv.status()
        cl.close()
    except Exception as e:  # noqa: BLE001
        res["failed"] = repr(e)
        log("strata FAILED:", repr(e))
        answers = {}
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    out["systems"]["strata"] = res
    return answers


def run_peer(args, queries, path, meta, out, key):
    P = rp.PEERS[key]
    pargs = SimpleNamespace(vm_dedup=None, setting=None, tag="")
    peer = P(pargs)
    res = {"system": key, "version": rp.pkg_version({"victoria": "victoria-metrics", "influx": "influxdb"}[key])}
    answers = {}
    try:
        setting = rp.best_setting(P, pargs)
        res["ingest_setting"] = setting
        peer.wipe()
        res["startup_to_ready_s"] = peer.start()
        res["cmd"] = " ".join(peer.cmd())
        # the harness's ingest + wait until every point is queryable, then its settle step
        orig_wait = rp.wait_quiet
        rp.wait_quiet = functools.partial(orig_wait, max_wait=args.load_quiet_max_wait)
        try:
            r = rp.ingest_and_wait(peer, setting, path, meta)
        finally:
            rp.wait_quiet = orig_wait
        res["ingest"] = {k: r.get(k) for k in ("setting", "wall_s", "points_per_s", "points_per_s_until_queryable",
                                               "queryable", "errors", "status", "acked_lines", "sent_lines")}
        log(key, "loaded: %.2f s, queryable %s after %.2f s" % (r["wall_s"], r["queryable"]["ok"], r["queryable"]["t_since_ref_s"]))
        res["settle"] = peer.settle()
        res["count_after_settle"] = peer.count_all()
        res["server_status_after_settle"] = peer.status()
        log(key, "settled in %.1f s; count %d" % (res["settle"]["settle_s"], res["count_after_settle"]))
        cl = HttpClient(peer.port)

        def get_fn(p):
            def f():
                st, body = cl.get(p)
                if st != 200 and not body.startswith(b"{"):
                    return json.dumps({"error": "HTTP %d: %s" % (st, body[:300].decode(errors="replace"))}).encode()
                return body
            return f

        def request(q):
            if key == "influx":
                if q["influx"] is None:
                    spec = {"na": q["influx_na"]}
                    if q.get("influx_emulation"):
                        paths = [influx_path(x) for x in q["influx_emulation"]]
                        fns = [get_fn(p) for p in paths]
                        spec["emulation_fn"] = lambda: [f() for f in fns]
                        spec["emulation_text"] = ["GET " + p for p in q["influx_emulation"]]
                        spec["emulation_rows"] = lambda raws: sum(
                            1 for raw in raws for s in parse_influx(raw).get("series", [])
                            for v in s["values"] if v[1] is not None)
                    return spec
                p = influx_path(q["influx"])
                return {"text": q["influx"], "fn": get_fn(p), "parser": parse_influx}
            if q["vm"] is None:
                return {"na": q["vm_na"]}
            p = vm_path(q["vm"])
            return {"text": q["vm"], "fn": get_fn(p), "parser": parse_vm, "note": q.get("vm_note")}
        pp = "/health" if key == "victoria" else "/ping"
        res["queries"], answers, res["quiet_check_before_queries"] = run_queries(
            key, queries, request, args, peer, ping=("GET " + pp, get_fn(pp)))
        res["server_status_end"] = peer.status()
        cl.close()
    except Exception as e:  # noqa: BLE001
        res["failed"] = repr(e)
        log(key, "FAILED:", repr(e))
    finally:
        peer.stop()
        if not args.keep_peer_data:
            subprocess.run(["rm", "-rf", peer.dir])
    out["systems"][key] = res
    return answers


# ---------------------------------------------------------------------------------------- report
def fmt_ms(x):
    if x is None:
        return "—"
    if x < 10:
        return "%.2f" % x
    if x < 1000:
        return "%.1f" % x
    return "%.0f" % x


def md_escape(s):
    return s.replace("|", "\\|").replace("\n", " ")


def short(s, n=90):
    s = str(s)
    return s if len(s) <= n else s[:n - 1] + "…"


def cell_for(r, footnotes=None, mark="", args=None):
    if r is None:
        return "not run"
    if "median_ms" in r:
        if args is not None and r.get("cpu_accounting") and disturbed(r["cpu_accounting"], args):
            mark += " ‡"
        return fmt_ms(r["median_ms"]) + mark
    if "error" in r:
        return "**ERR** `%s`" % md_escape(short(r["error"], 120))
    if "na" in r:
        s = "N/A"
        if "emulation" in r and "median_ms" in r["emulation"]:
            s += " (emulation: %s)" % fmt_ms(r["emulation"]["median_ms"])
        return s
    return "—"


def render_section(out):
    sysres = out["systems"]
    lines = []
    A = lines.append
    A("<!-- BEGIN queries: generated by bench/bench_queries.py; edits here are overwritten -->")
    A("## Queries: TSBS devops cpu-only suite, Strata vs VictoriaMetrics vs InfluxDB")
    A("")
    m = out["machine"]
    A("Measured %s (UTC) on %d cores (%s, %.1f GiB RAM, Debian %s, kernel %s). **The machine is shared**: other "
      "work (builds, tests) may run at the same time. Before each system's queries the script waits (at most "
      "%d s) until the machine is < 15 %% busy; the CPU used by other processes during each query's runs is "
      "recorded (summary below the table; per query in the JSON, `cpu_accounting`)." % (
          out["date_utc"], m["nproc"], m["cpu_model"], m["MemTotal_kB"] / 1048576.0, m["debian"], m["kernel"],
          out["args"]["quiet_max_wait"]))
    A("")
    A("Data: `%s` (%s rows = %s float points, %d hosts x %g day(s), 10 s interval, 10 fields, tags `hostname`, "
      "`region`, ... — TSBS devops cpu-only shape), loaded into each system from an empty data directory, one "
      "system at a time. Systems: Strata `%s` (Release, `stratad --fsync off`, FLUSHed and COMPACTed after the load); %s; %s." % (
          out["workload"]["file"], "{:,}".format(out["workload"]["main_rows"]),
          "{:,}".format(out["workload"]["main_points"]), out["workload"]["hosts"], out["workload"]["days"],
          sysres.get("strata", {}).get("git", "?"),
          "VictoriaMetrics " + str(sysres.get("victoria", {}).get("version")) + " (peers harness flags incl. `-search.disableCache`, every request `nocache=1`, after forced flush + merge)",
          "InfluxDB " + str(sysres.get("influx", {}).get("version")) + " (peers harness configuration, after snapshot + full compaction)"))
    A("")
    A("Each cell: median of %d timed runs after %d warm-up, in ms, client wall time from sending the query until the "
      "whole answer is received (one persistent connection: raw TCP for Strata, HTTP keep-alive for the peers; "
      "answers are parsed after the clock stops). Ratio = Strata / fastest peer that ran the query (< 1: Strata "
      "is faster). Random hosts and windows are drawn once (seed %d) and are the same for every system." % (
          out["args"]["runs"], out["args"]["warmup"], out["args"]["seed"]))
    A("")
    A("Reproduce: `make bench-peers` (builds Release, generates the workload if missing, installs the peer "
      "packages if missing, runs `python3 bench/bench_queries.py`). A full run took %.1f min." % (out["total_wall_s"] / 60))
    A("")
    A("| query type | Strata ms | VictoriaMetrics ms | InfluxDB ms | Strata/best-peer ratio |")
    A("|---|---|---|---|---|")
    foot = []
    for q in out["queries"]:
        n = q["name"]
        rs = {k: sysres.get(k, {}).get("queries", {}).get(n) for k in SYSTEMS}
        vm_mark = ""
        if rs["victoria"] and rs["victoria"].get("note") and "not emitted by TSBS" in rs["victoria"]["note"]:
            vm_mark = " †"
        peers = [rs[k]["median_ms"] for k in ("victoria", "influx") if rs[k] and "median_ms" in rs[k]]
        ratio = "—"
        if rs["strata"] and "median_ms" in rs["strata"] and peers:
            x = rs["strata"]["median_ms"] / min(peers)
            ratio = "%.2f" % x if x >= 0.1 else "%.2g" % x
        aa = SimpleNamespace(**out["args"])
        A("| %s | %s | %s | %s | %s |" % (n, cell_for(rs["strata"], args=aa), cell_for(rs["victoria"], mark=vm_mark, args=aa),
                                           cell_for(rs["influx"], args=aa), ratio))
    A("")
    fl = []
    for k in SYSTEMS:
        b = (sysres.get(k, {}).get("quiet_check_before_queries") or {}).get("baseline_round_trip")
        if b:
            fl.append("%s `%s` %s ms" % (SYSTEM_NAMES[k], b["text"], fmt_ms(b["median_ms"])))
    if fl:
        A("Floor, a trivial request on the same connection and client: " + ", ".join(fl) + ".")
        A("")
    A("† VictoriaMetrics: TSBS's generator emits no query for this type; the MetricsQL equivalent used is given "
      "below with how it differs. N/A = the system cannot express the query (reason below). ‡ = other processes "
      "used more than %.0f %% of the machine during these runs even after %d re-measurements (a run disturbed like "
      "that is measured again after waiting for a quiet machine; the least disturbed attempt is reported)." % (
          100 * out["args"]["max_foreign"], out["args"]["retries"]))
    A("")
    # answers
    A("### Answers")
    A("")
    A("Rows returned (VictoriaMetrics: points over all returned series, and the number of series). \"Strata = "
      "InfluxDB\" compares the two answers to the same statement row by row: same rows in the same order (for "
      "high-cpu, whose rows at equal times have no defined order, as sets), same time and tag keys, numbers within "
      "1e-9 relative, nulls equal. Aggregate columns are compared by position (InfluxDB names them `max`, `max_1`, "
      "...), raw and `*` columns by name.")
    A("")
    A("| query type | Strata rows | VictoriaMetrics rows (series) | InfluxDB rows | Strata = InfluxDB? |")
    A("|---|---|---|---|---|")
    for q in out["queries"]:
        n = q["name"]
        rs = {k: sysres.get(k, {}).get("queries", {}).get(n) for k in SYSTEMS}

        def rows(r, series=False):
            if not r:
                return "—"
            if "rows" in r and r["rows"] is not None and "error" not in r:
                return "{:,}".format(r["rows"]) + (" (%d)" % r["nseries"] if series and "nseries" in r else "")
            if "emulation" in r and "rows" in r["emulation"]:
                return "N/A (emulation: %s non-null)" % r["emulation"]["rows"]
            return "ERR" if r and "error" in r else "N/A"
        c = out["comparisons"].get(n)
        cs = "—" if not c else ("yes" if c["ok"] else "**NO**: %s" % md_escape(short(c["note"], 200)))
        A("| %s | %s | %s | %s | %s |" % (n, rows(rs["strata"]), rows(rs["victoria"], True), rows(rs["influx"]), cs))
    A("")
    for k, c in out.get("extra_checks", {}).items():
        A("* %s: %s" % (k, ("OK, " if c["ok"] else "**MISMATCH**, ") + md_escape(c["note"])))
    A("")
    findings = out.get("findings", [])
    if findings:
        A("### Errors and mismatches")
        A("")
        for f in findings:
            A("* " + md_escape(f))
        A("")
    # noise
    A("### Machine load during the runs")
    A("")
    for k in SYSTEMS:
        r = sysres.get(k)
        if not r or "queries" not in r:
            continue
        qc = r.get("quiet_check_before_queries") or {}
        accs = [x["cpu_accounting"] for x in r["queries"].values() if x.get("cpu_accounting")]
        fcpu = sum(a["foreign_cpu_s"] for a in accs)
        wall = sum(a["wall_s"] for a in accs)
        remeasured = sum(1 for x in r["queries"].values() if len(x.get("attempts", [])) > 1)
        A("* %s: the machine was %.0f %% busy before the queries (waited %.0f s%s). During the reported runs "
          "(%.1f s in all) other processes used %.1f CPU-s, %.0f %% of the machine; %d of %d queries were measured "
          "again because of them." % (
              SYSTEM_NAMES[k], 100 * qc.get("busy_frac", 0), qc.get("waited_s", 0),
              "" if qc.get("quiet", True) else ", then gave up waiting", wall, fcpu,
              100 * fcpu / max(1e-9, wall * out["machine"]["nproc"]), remeasured, len(accs)))
    A("")
    # texts
    A("### Query texts")
    A("")
    A("Strata and InfluxDB run the same InfluxQL text (TSBS's, unchanged unless noted). InfluxDB: `GET /query?db=bench&q=<text>`. "
      "VictoriaMetrics: `GET <path>?query=<query>&start=&end=&step=` (+ `nocache=1`) as TSBS's generator emits it; "
      "metrics are named `cpu_<field>`.")
    A("")
    for q in out["queries"]:
        n = q["name"]
        A("#### %s" % n)
        A("")
        extra = ""
        if q.get("hosts"):
            extra += " Hosts: %s." % ", ".join(q["hosts"])
        if q.get("window"):
            extra += " Window: %s." % q["window"]
        A(q["desc"] + ("" if q["tsbs"] else " (not a TSBS query)") + "." + extra)
        A("")
        st = q["strata"]
        it = q["influx"]
        if st and it and st == it:
            A("* Strata and InfluxDB: `%s`" % st)
            if q.get("influx_note"):
                A("  (%s)" % q["influx_note"])
        else:
            A("* Strata: " + ("`%s`" % st if st else "N/A"))
            if it:
                A("* InfluxDB: `%s`" % it)
            else:
                A("* InfluxDB: %s" % q["influx_na"])
                if q.get("influx_emulation"):
                    A("  Timed emulation (%d sequential queries, not comparable: windows [t, t+1h) instead of "
                      "(t-1h, t], and partial windows at the edges): `%s` for offsets 0m..50m" % (
                          len(q["influx_emulation"]), q["influx_emulation"][0]))
        if q["vm"]:
            p = q["vm"]["params"]
            extra = " ".join("%s=%s" % (k, v) for k, v in p.items() if k != "query")
            A("* VictoriaMetrics: `GET %s %s` query=`%s`" % (q["vm"]["path"], extra, p["query"]))
            if q.get("vm_note"):
                A("  (%s)" % q["vm_note"])
        else:
            A("* VictoriaMetrics: %s" % q["vm_na"])
        A("")
    A("Not run: the peers harness's Q6 is Q1's text on the data after 1 % corrections, not a distinct query.")
    A("Raw results (every run, every answer check, machine load): `bench/results/queries.json`.")
    A("<!-- END queries -->")
    return "\n".join(lines) + "\n"


def write_markdown(path, section):
    begin, end = "<!-- BEGIN queries", "<!-- END queries -->"
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        b, e = text.find(begin), text.find(end)
        if b >= 0 and e > b:
            text = text[:b] + section.rstrip("\n") + text[e + len(end):]
        else:
            m = re.search(r"(?m)^## Queries\b.*$", text)
            if m:
                nxt = re.search(r"(?m)^## ", text[m.end():])
                stop = m.end() + nxt.start() if nxt else len(text)
                text = text[:m.start()] + section + ("\n" + text[stop:] if nxt else "")
            else:
                text = text.rstrip("\n") + "\n\n" + section
    else:
        text = ("# Benchmarks\n\nMeasured figures for Strata, each section written by the script it names.\n\n" + section)
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------- main
def main():
    global rp
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "release"))
    ap.add_argument("--data", default=os.path.join(REPO, "build", "bench-data", "cpu_h100_d1_s42.lp"))
    ap.add_argument("--peers-dir", default=DEFAULT_PEERS, help="the peers harness (run_peer.py, load.py, gen_workload.py)")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of strata,victoria,influx")
    ap.add_argument("--seed", type=int, default=42, help="seed of the random hosts and time windows")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--quiet-max-wait", type=float, default=180,
                    help="before each system's queries, wait at most this long for the machine to be < 15%% busy")
    ap.add_argument("--load-quiet-max-wait", type=float, default=30, help="the same before each load")
    ap.add_argument("--max-foreign", type=float, default=0.10,
                    help="re-measure a query when other processes used more than this share of the machine")
    ap.add_argument("--retries", type=int, default=3, help="at most this many re-measurements per query")
    ap.add_argument("--retry-quiet-max-wait", type=float, default=60,
                    help="before a re-measurement, wait at most this long for the machine to be < 15%% busy")
    ap.add_argument("--keep-peer-data", action="store_true", help="leave /tmp/peers/<peer> after the run")
    ap.add_argument("--out-json", default=os.path.join(HERE, "results", "queries.json"))
    ap.add_argument("--out-md", default=os.path.join(REPO, "BENCHMARKS.md"), help="'' to skip")
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    sys.path.insert(0, args.peers_dir)
    rp = importlib.import_module("run_peer")

    t_begin = time.time()
    path = os.path.abspath(args.data)
    if not (os.path.exists(path) and os.path.exists(path + ".meta.json")):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        log("generating", path)
        subprocess.run([sys.executable, os.path.join(args.peers_dir, "gen_workload.py"), "--hosts", "100",
                        "--days", "1", "--seed", "42", "--out", path], check=True)
    with open(path + ".meta.json") as f:
        meta = json.load(f)
    with open(path) as f:
        first = f.readline()
    if not first.startswith("cpu,hostname="):
        raise SystemExit("unexpected workload line (queries use the tag 'hostname'): %r" % first[:80])

    queries = build_queries(args.seed, meta["hosts"], int(time.time()))
    out = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "machine": rp.machine(),
           "args": vars(args), "workload": dict({k: meta[k] for k in ("hosts", "days", "seed", "main_rows", "main_points")},
                                                file=os.path.relpath(path, REPO)),
           "queries": queries, "systems": {}, "comparisons": {}, "extra_checks": {}, "findings": []}
    answers = {}
    for key in [s for s in args.systems.split(",") if s]:
        log("==== %s" % key)
        if key == "strata":
            answers[key] = run_strata(args, queries, path, meta, out)
        else:
            answers[key] = run_peer(args, queries, path, meta, out, key)

    # ---- answer checks
    sa, ia, va = answers.get("strata", {}), answers.get("influx", {}), answers.get("victoria", {})
    for q in queries:
        n = q["name"]
        if q["compare"] and n in sa and n in ia and q["strata"] == q["influx"]:
            try:
                out["comparisons"][n] = compare_strata_influx(q, sa[n], ia[n])
            except Exception as e:  # noqa: BLE001
                out["comparisons"][n] = {"ok": False, "note": "comparison failed: %r" % (e,), "diffs": []}
    n5 = "rolling-median (peers Q5)"
    if n5 in sa and n5 in va:
        out["extra_checks"]["rolling median: Strata vs VictoriaMetrics median_over_time (same windows)"] = \
            compare_strata_vm_rolling(sa[n5], va[n5])
    exp = meta["usage_user_original"]
    for k, ans in answers.items():
        if "Q1 (peers)" in ans:
            v = q1_values(k, ans["Q1 (peers)"])
            ok = bool(v) and v.get("count") == exp["count"] and close_enough(v.get("mean"), exp["mean"]) \
                and close_enough(v.get("max"), exp["max"])
            out["extra_checks"]["Q1 %s vs generator's exact answer" % SYSTEM_NAMES[k]] = {
                "ok": ok, "note": "count %s, mean %r, max %s (exact: %d, %r, %s)" % (
                    v and v.get("count"), v and v.get("mean"), v and v.get("max"), exp["count"], exp["mean"], exp["max"])}

    # ---- findings: every error and mismatch
    for k in SYSTEMS:
        r = out["systems"].get(k)
        if not r:
            continue
        if "failed" in r:
            out["findings"].append("%s failed: %s" % (SYSTEM_NAMES[k], r["failed"]))
        for n, x in r.get("queries", {}).items():
            if "error" in x:
                out["findings"].append("%s error on %s: `%s` answered `%s`" % (SYSTEM_NAMES[k], n, x.get("text"), x["error"]))
    for n, c in out["comparisons"].items():
        if not c["ok"]:
            out["findings"].append("Strata vs InfluxDB mismatch on %s: %s; first differences: %s" % (
                n, c["note"], json.dumps(c["diffs"][:3])))
    for n, c in out["extra_checks"].items():
        if not c["ok"]:
            out["findings"].append("%s: %s; %s" % (n, c["note"], json.dumps(c.get("diffs", [])[:3])))

    out["quiet_checks"] = list(rp.QUIET_LOG)
    out["total_wall_s"] = time.time() - t_begin
    os.makedirs(os.path.dirname(os.path.abspath(args.out_json)), exist_ok=True)
    with open(args.out_json, "w") as f:
        json.dump(out, f, indent=1, default=str)
    log("wrote", args.out_json)
    section = render_section(out)
    if args.out_md:
        write_markdown(args.out_md, section)
        log("wrote", args.out_md)
    # console summary
    print()
    for line in section.splitlines():
        if line.startswith("|") or line.startswith("* "):
            print(line)
    if out["findings"]:
        print("\nErrors and mismatches:")
        for f in out["findings"]:
            print("  - " + f)
    print("\nfull run: %.1f min" % (out["total_wall_s"] / 60))


if __name__ == "__main__":
    main()
