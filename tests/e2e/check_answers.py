#!/usr/bin/env python3
"""Independent answer checker: drives a real stratad over TCP and compares every answer with a
reference model computed here, in Python, from the documented semantics (docs/query.md,
docs/protocol.md, DESIGN §1, §6.1, §7) -- never from Strata's C++.

What it does:
  1. starts a fresh stratad (--port 0 --port-file --fsync off) in a temporary data directory;
  2. loads real data sets from ../shared/data (NAB, and vega_weather 2012-2013, as line
     protocol), a TSBS-like cpu set from ../shared/peers/gen_workload.py (5 hosts, 1 day, with
     1 % late corrections), and hand-made edge rows (out-of-order and duplicate timestamps, integer/unsigned/bool/string fields, a
     tag value with an escaped space and comma, a series without a tag, points before 1970,
     NaN and infinities, lines the server must reject), in phases separated by SYNC, with a
     FLUSH in the middle, corrections after it, DELETEs, and a rewrite of a deleted point;
     the model keeps every phase so that AS OF <system time of a SYNC> can be checked;
  3. runs hand-made and seeded random queries (aggregates, GROUP BY time/tags, FILL, ORDER BY
     time DESC, LIMIT, raw selection with field conditions, rolling_median, moving_average,
     AS OF, SELECT VERSIONS) and compares each answer cell by cell with the model;
  4. prints a summary and exits 1 on any mismatch or error (77 if the data sets are missing).

Where the docs leave a choice open, the reference accepts every reading that follows from
them: first()/last() with several series at the same extreme time (any of their values), ties
between series under ORDER BY time DESC (either order), count() of an item without points in a
row that other items fill (0 or empty), percentile's rank computed in doubles or exactly. Its
own readings, where needed: stddev of one point is null and such a bucket is not "empty" for
FILL; FILL works in time order before ORDER BY DESC reverses the rows; a one-sided time range
with GROUP BY time runs from the bound to the data's extent on the other side.

Usage: check_answers.py [--build build/release] [--seed N] [--queries N] [--keep] [-v]
stdlib only; python3 >= 3.8.
"""

import argparse
import bisect
import datetime
import json
import math
import operator
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from fractions import Fraction

NS = 10 ** 9
EPOCH = datetime.datetime(1970, 1, 1)
UNITS = {"ns": 1, "us": 10 ** 3, "ms": 10 ** 6, "s": NS, "m": 60 * NS, "h": 3600 * NS,
         "d": 86400 * NS, "w": 7 * 86400 * NS}
LATEST = 1 << 30          # phase index meaning "no AS OF"
BEFORE_ALL = -1           # phase index meaning "AS OF a time before any write"
SKIP = 77


# ----------------------------------------------------------------------------------------------
# formatting helpers

def fmt_time(t):
    s, f = divmod(t, NS)
    return (EPOCH + datetime.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % f


def time_literal(t, style):
    if style == "int":
        return str(t)
    s, f = divmod(t, NS)
    base = (EPOCH + datetime.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S")
    return "'" + base + ((".%09dZ" % f) if f else "Z") + "'"


def dur_text(ns):
    for unit in ("w", "d", "h", "m", "s", "ms", "us", "ns"):
        if ns % UNITS[unit] == 0:
            return "%d%s" % (ns // UNITS[unit], unit)
    raise AssertionError(ns)


def esc_meas(s):
    return s.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def esc_tag(s):
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def series_key(meas, tags):
    """Canonical series key (docs/format/line_protocol.md §5)."""
    return esc_meas(meas) + "".join("," + esc_tag(k) + "=" + esc_tag(v) for k, v in sorted(tags))


def digits(text):
    """Significant digits of a decimal number's text (for the shortest-round-trip check)."""
    t = text.lstrip("+-").lower()
    mant = t.split("e")[0].replace(".", "")
    return mant.strip("0") or "0"


def shortest_len(x):
    """Length of the shorter of the fixed and exponent forms of x's shortest digits."""
    _, digs, exp = Decimal(repr(x)).normalize().as_tuple()
    n = len(digs)
    if exp >= 0:
        fixed = n + exp
    elif -exp >= n:
        fixed = 2 - exp
    else:
        fixed = n + 1
    e10 = n - 1 + exp
    sci = n + (1 if n > 1 else 0) + 2 + max(2, len(str(abs(e10))))
    return min(fixed, sci) + (1 if x < 0 else 0)


def num_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


# ----------------------------------------------------------------------------------------------
# reference line-protocol parser (docs/format/line_protocol.md)

class LPError(Exception):
    pass


_FLOAT_RE = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_SPECIAL_RE = re.compile(r"[+-]?(?:nan|inf|infinity)\Z", re.I)
_INT_RE = re.compile(r"-?[0-9]+i\Z")
_UINT_RE = re.compile(r"[0-9]+u\Z")
_TRUE = {"t", "T", "true", "True", "TRUE"}
_FALSE = {"f", "F", "false", "False", "FALSE"}


def parse_value(text):
    if _FLOAT_RE.match(text):
        v = float(text)
        if math.isinf(v):
            raise LPError("float out of range")
        return "float", v
    if _SPECIAL_RE.match(text):
        v = float(text)
        return "float", (math.nan if math.isnan(v) else v)
    if _INT_RE.match(text):
        v = int(text[:-1])
        if not -(1 << 63) <= v < (1 << 63):
            raise LPError("int out of range")
        return "integer", v
    if _UINT_RE.match(text):
        v = int(text[:-1])
        if v >= 1 << 64:
            raise LPError("uint out of range")
        return "unsigned", v
    if text in _TRUE:
        return "boolean", True
    if text in _FALSE:
        return "boolean", False
    raise LPError("bad value %r" % text)


def _scan(s, i, stops, escapable):
    out = []
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n and s[i + 1] in escapable:
            out.append(s[i + 1])
            i += 2
            continue
        if c in stops:
            break
        out.append(c)
        i += 1
    return "".join(out), i


def parse_line(line):
    """-> (measurement, sorted tag tuple, [(field, type, value)], timestamp or None)."""
    if "\\" not in line and '"' not in line:
        parts = line.rstrip(" \t\r").split(" ")
        parts = [p for p in parts if p != ""] if "  " in line else parts
        if len(parts) not in (2, 3):
            raise LPError("sections")
        head = parts[0].split(",")
        meas = head[0]
        if not meas:
            raise LPError("empty measurement")
        tags = []
        for kv in head[1:]:
            k, eq, v = kv.partition("=")
            if not eq or not k or not v or "=" in v:
                raise LPError("bad tag")
            tags.append((k, v))
        fields = []
        for kv in parts[1].split(","):
            k, eq, v = kv.partition("=")
            if not eq or not k or not v:
                raise LPError("bad field")
            fields.append((k,) + parse_value(v))
        ts = None
        if len(parts) == 3:
            if not re.match(r"-?[0-9]+\Z", parts[2]):
                raise LPError("bad timestamp")
            ts = int(parts[2])
    else:
        s = line.rstrip(" \t\r")
        meas, i = _scan(s, 0, ", ", ", \\")
        if not meas:
            raise LPError("empty measurement")
        tags = []
        while i < len(s) and s[i] == ",":
            k, i = _scan(s, i + 1, "=, ", ",= \\")
            if not k or i >= len(s) or s[i] != "=":
                raise LPError("bad tag key")
            v, i = _scan(s, i + 1, ",= ", ",= \\")
            if not v or (i < len(s) and s[i] == "="):
                raise LPError("bad tag value")
            tags.append((k, v))
        if i >= len(s) or s[i] != " ":
            raise LPError("missing fields")
        while i < len(s) and s[i] == " ":
            i += 1
        fields = []
        while True:
            k, i = _scan(s, i, "=, ", ",= \\")
            if not k or i >= len(s) or s[i] != "=":
                raise LPError("bad field key")
            i += 1
            if i < len(s) and s[i] == '"':
                i += 1
                out = []
                while True:
                    if i >= len(s):
                        raise LPError("unterminated string")
                    c = s[i]
                    if c == "\\" and i + 1 < len(s) and s[i + 1] in '"\\':
                        out.append(s[i + 1])
                        i += 2
                        continue
                    if c == '"':
                        i += 1
                        break
                    out.append(c)
                    i += 1
                fields.append((k, "string", "".join(out)))
            else:
                j = i
                while j < len(s) and s[j] not in ", ":
                    j += 1
                fields.append((k,) + parse_value(s[i:j]))
                i = j
            if i < len(s) and s[i] == ",":
                i += 1
                continue
            break
        ts = None
        if i < len(s):
            while i < len(s) and s[i] == " ":
                i += 1
            rest = s[i:]
            if not re.match(r"-?[0-9]+\Z", rest):
                raise LPError("bad timestamp")
            ts = int(rest)
    keys = [k for k, _ in tags]
    if len(set(keys)) != len(keys) or len(set(f[0] for f in fields)) != len(fields):
        raise LPError("duplicate key")
    if ts is not None and not -(1 << 63) <= ts < (1 << 63):
        raise LPError("timestamp range")
    return meas, tuple(sorted(tags)), fields, ts


# ----------------------------------------------------------------------------------------------
# the reference model

TOMB = object()


class Series:
    __slots__ = ("meas", "tags", "key", "fields")

    def __init__(self, meas, tags):
        self.meas = meas
        self.tags = dict(tags)
        self.key = series_key(meas, tags)
        self.fields = {}   # field -> {t: (phase, value)} (latest version)


class Model:
    def __init__(self):
        self.series = {}      # meas -> {sorted tag tuple: Series}
        self.ftypes = {}      # meas -> {field: type}
        self.hist = {}        # (series key, field, t) -> [(phase, value)] superseded versions
        self.cache = {}
        self.phase_time = {}  # phase -> system time (SYNC / DELETE answer)
        self.simple = {}      # (series key, field) -> highest write phase; views at or after
                              # it need no version lookups (LATEST + 1 once tombstoned)
        self.last_phase = 0

    def series_of(self, meas):
        return list(self.series.get(meas, {}).values())

    def line_ok(self, meas, fields):
        types = self.ftypes.get(meas, {})
        seen = {}
        for k, typ, _ in fields:
            want = types.get(k, seen.get(k))
            if want is not None and want != typ:
                return False
            seen[k] = typ
        return True

    def write(self, meas, tags, fields, ts, phase):
        types = self.ftypes.setdefault(meas, {})
        byt = self.series.setdefault(meas, {})
        s = byt.get(tags)
        if s is None:
            s = byt[tags] = Series(meas, tags)
        for k, typ, v in fields:
            types.setdefault(k, typ)
            self.put(s, k, ts, v, phase)

    def put(self, s, field, ts, v, phase):
        d = s.fields.setdefault(field, {})
        old = d.get(ts)
        if old is not None and old[0] != phase:
            self.hist.setdefault((s.key, field, ts), []).append(old)
        d[ts] = (phase, v)
        k = (s.key, field)
        if v is TOMB:
            self.simple[k] = LATEST + 1      # never the fast path
        elif self.simple.get(k, -1) < phase:
            self.simple[k] = phase
        self.last_phase = max(self.last_phase, phase)
        if self.cache:
            self.cache.clear()

    def view(self, phase, s, field):
        """-> (sorted times, values, {t: value}) visible at phase."""
        phase = min(phase, self.last_phase)
        key = (phase, s.key, field)
        r = self.cache.get(key)
        if r is not None:
            return r
        d = s.fields.get(field)
        if not d or phase == BEFORE_ALL:
            r = ([], [], {})
        elif self.simple.get((s.key, field), 0) <= phase:
            times = sorted(d)
            vals = [d[t][1] for t in times]
            r = (times, vals, dict(zip(times, vals)))
        else:
            items = []
            hist = self.hist
            for t, (ph, v) in d.items():
                if ph > phase:
                    v = None
                    for ph2, old in hist.get((s.key, field, t), ()):
                        if ph2 <= phase:
                            v = old
                    if v is None:
                        continue
                if v is TOMB:
                    continue
                items.append((t, v))
            items.sort(key=lambda x: x[0])
            times = [t for t, _ in items]
            vals = [v for _, v in items]
            r = (times, vals, dict(items))
        self.cache[key] = r
        return r

    def versions(self, s, field, ts):
        """[(phase, value)] in order, superseded ones first."""
        out = list(self.hist.get((s.key, field, ts), ()))
        cur = s.fields.get(field, {}).get(ts)
        if cur is not None:
            out.append(cur)
        return out


# ----------------------------------------------------------------------------------------------
# conditions

class TagCmp:
    def __init__(self, key, op, val):
        self.key, self.op, self.val = key, op, val

    def text(self):
        if self.op in ("=~", "!~"):
            return "%s %s /%s/" % (self.key, self.op, self.val)
        return "%s %s '%s'" % (self.key, self.op, self.val)

    def match(self, tags):
        v = tags.get(self.key, "")
        if self.op == "=":
            return v == self.val
        if self.op == "!=":
            return v != self.val
        m = re.search(self.val, v) is not None
        return m if self.op == "=~" else not m


class FieldCmp:
    def __init__(self, field, op, val):
        self.field, self.op, self.val = field, op, val

    def text(self):
        v = self.val
        if self.op in ("=~", "!~"):
            lit = "/%s/" % v
        elif isinstance(v, bool):
            lit = "true" if v else "false"
        elif isinstance(v, str):
            lit = "'%s'" % v
        else:
            lit = num_text(v) if not isinstance(v, float) or not v.is_integer() else repr(v)
        return "%s %s %s" % (self.field, self.op, lit)

    def bind(self, dicts):
        """-> predicate of a timestamp, reading the field's {t: value} map."""
        d = dicts[self.field]
        v, op = self.val, self.op
        if op in ("=~", "!~") or isinstance(v, (bool, str)):
            return lambda t: self.eval(lambda _f: d.get(t))
        cmp = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
               ">": operator.gt, ">=": operator.ge}[op]

        def pred(t):
            x = d.get(t)
            return x is not None and not isinstance(x, (bool, str)) and cmp(x, v)
        return pred

    def eval(self, get):
        x = get(self.field)
        if x is None:
            return False
        v, op = self.val, self.op
        if op in ("=~", "!~"):
            if not isinstance(x, str):
                return False
            m = re.search(v, x) is not None
            return m if op == "=~" else not m
        if isinstance(v, bool) != isinstance(x, bool) or isinstance(v, str) != isinstance(x, str):
            return False
        if op == "=":
            return x == v
        if op == "!=":
            return x != v
        if op == "<":
            return x < v
        if op == "<=":
            return x <= v
        if op == ">":
            return x > v
        if op == ">=":
            return x >= v
        raise AssertionError(op)


class BoolOp:
    def __init__(self, op, parts):
        self.op, self.parts = op, parts

    def text(self):
        return "(" + (" %s " % self.op).join(p.text() for p in self.parts) + ")"

    def match(self, tags):
        f = all if self.op == "AND" else any
        return f(p.match(tags) for p in self.parts)

    def eval(self, get):
        f = all if self.op == "AND" else any
        return f(p.eval(get) for p in self.parts)

    def bind(self, dicts):
        preds = [p.bind(dicts) for p in self.parts]
        if self.op == "AND":
            return lambda t: all(p(t) for p in preds)
        return lambda t: any(p(t) for p in preds)


def field_names(cond):
    if cond is None:
        return []
    if isinstance(cond, FieldCmp):
        return [cond.field]
    out = []
    for p in cond.parts:
        out += field_names(p)
    return out


class TimeRange:
    """Time conditions ANDed at the top level: [(op, t, literal style)]."""

    def __init__(self, conds=()):
        self.conds = list(conds)
        lo = hi = None
        for op, t, _ in self.conds:
            if op in (">=", ">", "="):
                x = t if op != ">" else t + 1
                lo = x if lo is None else max(lo, x)
            if op in ("<", "<=", "="):
                x = t if op == "<" else t + 1
                hi = x if hi is None else min(hi, x)
        self.lo, self.hi = lo, hi

    def texts(self):
        return ["time %s %s" % (op, time_literal(t, st)) for op, t, st in self.conds]


# ----------------------------------------------------------------------------------------------
# expected cells

class Num:
    """A numeric expected cell: exact (tol None: same double / integer, shortest form) or
    within tol; alts: other acceptable expected cells (ties, documented ambiguities)."""
    __slots__ = ("v", "tol", "alts")

    def __init__(self, v, tol=None, alts=()):
        self.v, self.tol, self.alts = v, tol, tuple(alts)

    def show(self):
        s = num_text(self.v)
        if self.tol is not None:
            s = "~" + s
        if self.alts:
            s += "|" + "|".join("" if a is None else (a.show() if isinstance(a, Num) else a)
                                for a in self.alts)
        return s


ANY = object()          # a cell the reference cannot pin down (counted, not compared)
EMPTY_OR_ZERO = object()
NULL_VALUE = object()   # a non-empty bucket whose aggregate is null (stddev of one point):
                        # FILL does not apply to it, the cell is empty


def parse_cell_num(got):
    if got in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(got.replace("Inf", "inf").replace("NaN", "nan"))
    if re.match(r"-?[0-9]+\Z", got):
        return int(got)
    try:
        return float(got)
    except ValueError:
        return None


def num_ok(exp, got):
    g = parse_cell_num(got)
    if g is None:
        return False
    e = exp.v
    if isinstance(e, float) and math.isnan(e):
        return isinstance(g, float) and math.isnan(g) and got == "NaN"
    if isinstance(e, float) and math.isinf(e):
        return got == ("+Inf" if e > 0 else "-Inf")
    if isinstance(g, float) and (math.isnan(g) or math.isinf(g)):
        return False
    if exp.tol is not None:
        return abs(float(g) - float(e)) <= exp.tol
    if isinstance(e, int):
        return isinstance(g, int) and g == e
    if float(g) != e or (e == 0 and math.copysign(1, e) != math.copysign(1, float(got))):
        return False
    # shortest round trip: Python's digits, or a text no longer than the shortest fixed or
    # exponent form (C++ std::to_chars may print the exact digits of a large integral double:
    # 123456789012345683968 is as short as 123456789012345680000 and round-trips too)
    return digits(got) == digits(repr(e)) or len(got) <= shortest_len(e)


def cell_ok(exp, got):
    if exp is ANY:
        return True
    if exp is None:
        return got == ""
    if exp is EMPTY_OR_ZERO:
        return got in ("", "0")
    if isinstance(exp, str):
        return got == exp
    if isinstance(exp, Num):
        if got != "" and num_ok(exp, got):
            return True
        return any(cell_ok(a, got) for a in exp.alts)
    raise AssertionError(exp)


def show_cell(exp):
    if exp is None:
        return ""
    if exp is ANY:
        return "*"
    if exp is EMPTY_OR_ZERO:
        return "(empty|0)"
    if isinstance(exp, Num):
        return exp.show()
    return exp


# ----------------------------------------------------------------------------------------------
# aggregates

def fsum_ieee(vals):
    if any(isinstance(v, float) and (math.isnan(v) or math.isinf(v)) for v in vals):
        return sum(vals)
    return math.fsum(vals)


def median_of_sorted(s):
    n = len(s)
    if n % 2:
        return s[n // 2]
    a, b = s[n // 2 - 1], s[n // 2]
    return (a + b) / 2


def tie_cell(cands):
    """cands: values in (time, series key) order; the first is the primary."""
    seen = []
    for v in cands:
        if not any(num_text(v) == num_text(x) for x in seen):
            seen.append(v)
    return Num(seen[0], alts=[Num(x) for x in seen[1:]])


def aggregate(func, arg, pts, ftype):
    """pts: [(t, value)] in (time, series key) order."""
    n = len(pts)
    if func == "count":
        return Num(n)
    if n == 0:
        return None
    vals = [v for _, v in pts]
    is_int = ftype in ("integer", "unsigned")
    if func == "sum":
        if is_int:
            total = sum(vals)
            if ftype == "integer" and not -(1 << 63) <= total < (1 << 63):
                raise RefError("sum() overflows int64")
            if ftype == "unsigned" and total >= 1 << 64:
                raise RefError("sum() overflows uint64")
            return Num(total)
        s = fsum_ieee(vals)
        return Num(s, tol=1e-9 * abs(s) + 1e-15 * math.fsum(abs(v) for v in vals)) \
            if math.isfinite(s) else Num(s)
    if func == "mean":
        if is_int:
            m = float(Fraction(sum(vals), n))
            return Num(m, tol=1e-9 * abs(m) + 1e-300)
        s = fsum_ieee(vals)
        if not math.isfinite(s):
            return Num(s)
        m = s / n
        return Num(m, tol=1e-9 * abs(m) + 1e-15 * max(abs(v) for v in vals))
    if func == "min":
        return Num(min(vals))
    if func == "max":
        return Num(max(vals))
    if func == "spread":
        return Num(max(vals) - min(vals))
    if func == "first":
        t0 = pts[0][0]
        return tie_cell([v for t, v in pts if t == t0])
    if func == "last":
        t1 = pts[-1][0]
        return tie_cell([v for t, v in reversed(pts) if t == t1])
    if func == "median":
        m = median_of_sorted(sorted(vals))
        return Num(float(m) if is_int and n % 2 == 0 else m)
    if func == "percentile":
        s = sorted(vals)
        p = float(arg)
        i1 = math.ceil(p / 100 * n) - 1
        i2 = math.ceil(Fraction(arg) * n / 100) - 1
        i1, i2 = (min(max(i, 0), n - 1) for i in (i1, i2))
        return Num(s[i1], alts=[Num(s[i2])] if s[i2] != s[i1] else [])
    if func == "stddev":
        if n < 2:
            return None
        fv = [float(v) for v in vals]
        m = math.fsum(fv) / n
        var = math.fsum((x - m) * (x - m) for x in fv) / (n - 1)
        sd = math.sqrt(var)
        scale = max(abs(x) for x in fv)
        return Num(sd, tol=1e-9 * sd + 1e-13 * scale)
    raise AssertionError(func)


# ----------------------------------------------------------------------------------------------
# queries

class Item:
    """kind: raw (field or tag key), star (*), agg, aggstar (<agg>(*)), win (rolling_median,
    moving_average)."""

    def __init__(self, kind, func=None, field=None, arg=None, alias=None):
        self.kind, self.func, self.field, self.arg, self.alias = kind, func, field, arg, alias

    def text(self):
        if self.kind == "raw":
            t = self.field
        elif self.kind == "star":
            t = "*"
        elif self.kind == "aggstar":
            t = "%s(*)" % self.func
        elif self.func == "percentile" or self.kind == "win":
            t = "%s(%s, %s)" % (self.func, self.field, self.arg)
        else:
            t = "%s(%s)" % (self.func, self.field)
        if self.alias:
            t += " AS " + self.alias
        return t

    def column(self):
        return self.alias or self.text().replace(" ", "")


class Query:
    def __init__(self, meas, items, tag=None, field=None, time=None, gb_time=None, gb_tags=(),
                 gb_star=False, fill=None, desc=False, limit=None, phase=LATEST, asof_text=None,
                 asof_pos="end", expect_error=None):
        self.meas, self.items = meas, items
        self.tag, self.field = tag, field
        self.time = time or TimeRange()
        self.gb_time, self.gb_tags, self.gb_star = gb_time, list(gb_tags), gb_star
        self.fill, self.desc, self.limit = fill, desc, limit
        self.phase, self.asof_text, self.asof_pos = phase, asof_text, asof_pos
        self.expect_error = expect_error
        self.lower = False
        self.time_text = None    # WHERE time text to send instead of self.time's (now() forms)

    def text(self):
        q = "SELECT " + ", ".join(i.text() for i in self.items) + " FROM " + self.meas
        asof = (" AS OF " + self.asof_text) if self.asof_text else ""
        if self.asof_pos == "from":
            q += asof
        conds = []
        if self.tag is not None:
            conds.append(self.tag.text())
        if self.field is not None:
            conds.append(self.field.text())
        conds += self.time_text if self.time_text is not None else self.time.texts()
        if conds:
            q += " WHERE " + " AND ".join(conds)
        if self.asof_pos == "mid":
            q += asof
        gb = []
        if self.gb_time:
            d, off = self.gb_time
            gb.append("time(%s%s)" % (dur_text(d), (", " + ("-" if off < 0 else "")
                                                     + dur_text(abs(off))) if off else ""))
        if self.gb_star:
            gb.append("*")
        gb += self.gb_tags
        if gb:
            q += " GROUP BY " + ", ".join(gb)
        if self.fill is not None:
            q += " FILL(%s)" % (self.fill if isinstance(self.fill, str) else num_text(self.fill))
        if self.desc:
            q += " ORDER BY time DESC"
        if self.limit is not None:
            q += " LIMIT %d" % self.limit
        if self.asof_pos == "end":
            q += asof
        if self.lower:
            # keywords are case-insensitive: lower-case them outside quoted literals
            parts = q.split("'")
            for i in range(0, len(parts), 2):
                parts[i] = re.sub(r"\b(SELECT|FROM|WHERE|AND|OR|GROUP BY|FILL|ORDER BY|DESC|LIMIT|AS OF|AS)\b",
                                  lambda m: m.group(0).lower(), parts[i])
            q = "'".join(parts)
        return q


def bucket_of(t, d, off):
    return (t - off) // d * d + off


def evaluate(model, q):
    """-> (header, [candidate answers: list of rows]) for the query q."""
    phase = q.phase
    ftypes = model.ftypes.get(q.meas, {})
    all_series = model.series_of(q.meas)
    series = [s for s in all_series if q.tag is None or q.tag.match(s.tags)]
    gb_tags = list(q.gb_tags)
    if q.gb_star:
        gb_tags = sorted({k for s in all_series for k in s.tags})
    kinds = {i.kind for i in q.items}
    # which fields each item reads, and the output columns
    columns = []
    fields = []
    expanded = []   # (item, field, column) for every output cell
    for it in q.items:
        if it.kind == "star":
            names = sorted((set(ftypes) | {k for s in all_series for k in s.tags}) - set(gb_tags))
            for nm in names:
                expanded.append((Item("raw", field=nm), nm, nm))
        elif it.kind == "aggstar":
            for f in sorted(ftypes):
                if ftypes[f] in ("float", "integer", "unsigned") or it.func in ("count", "first", "last"):
                    expanded.append((Item("agg", it.func, f, it.arg), f, "%s_%s" % (it.func, f)))
        else:
            expanded.append((it, it.field, it.column()))
    tagkeys = {k for s in all_series for k in s.tags}
    for it, f, col in expanded:
        columns.append(col)
        if not (it.kind == "raw" and f in tagkeys and f not in ftypes):
            fields.append(f)
    fields = list(dict.fromkeys(fields))
    fidx = {f: i for i, f in enumerate(fields)}
    cond_fields = field_names(q.field)
    raw = kinds <= {"raw", "star"}
    win = "win" in kinds
    timecol = raw or win or q.gb_time is not None
    header = (["time"] if timecol else []) + gb_tags + columns
    lo, hi = q.time.lo, q.time.hi

    # the selected points, per group and series, as columns
    colgroups = {}   # group -> [(series, sorted times, one value column per field)]
    for s in series:
        views = {f: model.view(phase, s, f) for f in set(fields) | set(cond_fields)}
        times = None
        slices = []
        for f in fields:
            tl, vl, _ = views[f]
            i = bisect.bisect_left(tl, lo) if lo is not None else 0
            j = bisect.bisect_left(tl, hi) if hi is not None else len(tl)
            slices.append((tl[i:j], vl[i:j]))
            if times is None:
                times = slices[-1][0]
            elif times != slices[-1][0]:
                times = sorted(set(times).union(slices[-1][0]))
        if not times:
            continue
        dicts = {f: views[f][2] for f in views}
        cols = [vs if ts == times else [dicts[f].get(t) for t in times]
                for f, (ts, vs) in zip(fields, slices)]
        if q.field is not None:
            pred = q.field.bind(dicts)
            keep = [i for i, t in enumerate(times) if pred(t)]
            if len(keep) != len(times):
                times = [times[i] for i in keep]
                cols = [[c[i] for i in keep] for c in cols]
        if times:
            g = tuple(s.tags.get(k, "") for k in gb_tags)
            colgroups.setdefault(g, []).append((s, times, cols))
    gkeys = sorted(colgroups)

    def merged_rows(g):
        """[(t, series key, series, values tuple)] of group g in (time, series key) order."""
        rows = []
        for s, times, cols in colgroups[g]:
            key = s.key
            rows += [(t, key, s, vals) for t, vals in zip(times, zip(*cols))]
        if len(colgroups[g]) > 1:
            rows.sort(key=lambda r: (r[0], r[1]))
        return rows

    def finish(per_group_rows, reversible_ties):
        """Apply ORDER BY DESC and LIMIT per group; returns candidate answers."""
        cands = []
        for variant in ((0, 1) if (q.desc and reversible_ties) else (0,)):
            out = []
            for g in gkeys:
                rows = per_group_rows.get(g, [])
                if q.desc:
                    if variant == 0:
                        rows = list(reversed(rows))
                    else:   # time descending, ties kept in ascending series order
                        rows = sorted(rows, key=lambda r: r[0], reverse=True)
                if q.limit is not None:
                    rows = rows[:q.limit]
                out += [r[1] for r in rows]
            cands.append(out)
        return cands

    # ---- raw selection
    if raw:
        per = {}
        for g in gkeys:
            out = []
            for t, _, s, vals in merged_rows(g):
                if all(v is None for v in vals):
                    continue
                cells = []
                for it, f, _ in expanded:
                    if f in fidx:
                        cells.append(raw_cell(vals[fidx[f]]))
                    else:
                        cells.append(s.tags.get(f, ""))
                out.append((t, [fmt_time(t)] + list(g) + cells))
            per[g] = out
        return header, finish(per, True)

    # ---- labels of GROUP BY time
    def labels_for(nonempty_times):
        d, off = q.gb_time
        if lo is not None and hi is not None:
            if hi <= lo:
                return []
            return list(range(bucket_of(lo, d, off), bucket_of(hi - 1, d, off) + 1, d))
        if not nonempty_times:
            return []
        # Without a time range: first to last non-empty bucket (over all groups). With a
        # one-sided range the docs are silent; the finite reading (the bound on one side, the
        # data's extent on the other) is used.
        first = bucket_of(lo if lo is not None else min(nonempty_times), d, off)
        last = bucket_of(hi - 1 if hi is not None else max(nonempty_times), d, off)
        return list(range(first, last + 1, d))

    # ---- window functions
    if win:
        f = fields[0]
        is_int = ftypes.get(f) in ("integer", "unsigned")
        streams = {g: [(r[0], r[3][0]) for r in merged_rows(g) if r[3][0] is not None]
                   for g in gkeys}
        if q.gb_time is None:
            per = {}
            for g in gkeys:
                st = streams[g]
                cols = [window_per_point(it, st, is_int) for it, _, _ in expanded]
                per[g] = [(st[i][0], [fmt_time(st[i][0])] + list(g) + [c[i] for c in cols])
                          for i in range(len(st))]
            return header, finish(per, True)
        labels = labels_for([t for g in gkeys for t, _ in streams[g]])
        per = {}
        for g in gkeys:
            st = streams[g]
            cols = [window_per_step(it, st, labels, is_int) for it, _, _ in expanded]
            cols = [apply_fill(c, labels, q.fill, is_int) for c in cols]
            rows = []
            for i, lab in enumerate(labels):
                cells = [c[i] for c in cols]
                if q.fill == "none" and all(c is None for c in cells):
                    continue
                rows.append((lab, [fmt_time(lab)] + list(g) + cells))
            per[g] = rows
        return header, finish(per, False)

    # ---- aggregates, from per-series column slices
    def cell(it, f, parts):
        """parts: [(series key, times, values)] of one group (and bucket)."""
        k = fidx[f]
        if it.func in ("first", "last"):
            ends = []
            for key, ts, cs in parts:
                col = cs[k]
                idx = range(len(col)) if it.func == "first" else range(len(col) - 1, -1, -1)
                for i in idx:
                    if col[i] is not None:
                        ends.append((ts[i], key, col[i]))
                        break
            if not ends:
                return aggregate(it.func, it.arg, [], ftypes.get(f))
            edge = (min if it.func == "first" else max)(e[0] for e in ends)
            cands = sorted((e for e in ends if e[0] == edge), key=lambda e: e[1],
                           reverse=(it.func == "last"))
            return aggregate(it.func, it.arg, [(e[0], e[2]) for e in cands], ftypes.get(f))
        vals = [v for _, _, cs in parts for v in cs[k] if v is not None]
        return aggregate(it.func, it.arg, [(None, v) for v in vals], ftypes.get(f))

    if q.gb_time is None:
        out = []
        for g in gkeys:
            parts = [(s.key, times, cols) for s, times, cols in colgroups[g]]
            cells = []
            empty = True
            for it, f, _ in expanded:
                k = fidx[f]
                n = sum(1 for _, _, cs in parts for v in cs[k] if v is not None)
                if n:
                    empty = False
                c = cell(it, f, parts)
                if it.func == "count" and not n:
                    c = EMPTY_OR_ZERO
                cells.append(c)
            if not empty:
                out.append(list(g) + cells)
        if q.limit is not None and q.limit == 0:
            out = []
        return header, [out]

    d, off = q.gb_time
    labels = labels_for([t for g in gkeys for _, times, cols in colgroups[g]
                         for t, vals in zip(times, zip(*cols)) if any(v is not None for v in vals)])
    per = {}
    for g in gkeys:
        # per label: [(series key, times slice, column slices)]
        bparts = [[] for _ in labels]
        for s, times, cols in colgroups[g]:
            for i, lab in enumerate(labels):
                a = bisect.bisect_left(times, lab)
                b = bisect.bisect_left(times, lab + d)
                if a < b:
                    bparts[i].append((s.key, times[a:b], [c[a:b] for c in cols]))
        cols = []
        for it, f, _ in expanded:
            is_int = it.func == "count" or (ftypes.get(f) in ("integer", "unsigned")
                                            and it.func not in ("mean", "stddev", "median"))
            k = fidx[f]
            col = []
            for i, lab in enumerate(labels):
                parts = bparts[i]
                has = any(v is not None for _, _, cs in parts for v in cs[k])
                c = cell(it, f, parts) if has else None
                col.append(NULL_VALUE if (has and c is None) else c)
            cols.append(apply_fill(col, labels, q.fill, is_int))
        rows = []
        for i, lab in enumerate(labels):
            cells = [c[i] for c in cols]
            if all(c is None for c in cells):
                if q.fill == "none":
                    continue
            elif any(c is None for c in cells):
                # a row with points for some items only: count of the others may be 0 or empty
                cells = [EMPTY_OR_ZERO if (c is None and expanded[k][0].func == "count") else c
                         for k, c in enumerate(cells)]
            cells = [None if c is NULL_VALUE else c for c in cells]
            rows.append((lab, [fmt_time(lab)] + list(g) + cells))
        per[g] = rows
    return header, finish(per, False)


def raw_cell(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v.replace("\t", " ").replace("\n", " ")
    return Num(v)


def apply_fill(col, labels, fill, is_int):
    if fill in (None, "null", "none"):
        return col
    out = list(col)
    if fill == "previous":
        prev = None
        for i, c in enumerate(col):
            if c is None:
                out[i] = ANY if prev is NULL_VALUE else prev
            else:
                prev = c
        return out
    if fill == "linear":
        known = [i for i, c in enumerate(col) if c is not None]
        for a, b in zip(known, known[1:]):
            ca, cb = col[a], col[b]
            for i in range(a + 1, b):
                if NULL_VALUE in (ca, cb) or ca is ANY or cb is ANY or ca.alts or cb.alts:
                    out[i] = ANY
                    continue
                va, vb = ca.v, cb.v
                v = va + (vb - va) * (labels[i] - labels[a]) / (labels[b] - labels[a])
                tol = 1.0 if is_int else 1e-9 * max(abs(va), abs(vb), 1e-300)
                out[i] = Num(v, tol=tol)
        return out
    return [Num(fill) if c is None else c for c in col]


def window_values(vals, ranges, is_int, func, n_arg):
    """vals: stream values; ranges: monotone [(start, end)) index windows; returns cells."""
    out = []
    if func == "moving_average":
        for a, b in ranges:
            if b - a < n_arg:
                out.append(None)
                continue
            w = vals[a:b]
            s = fsum_ieee(w)
            m = s / len(w) if not is_int else float(Fraction(sum(w), len(w)))
            out.append(Num(m, tol=1e-9 * abs(m) + 1e-15 * max(abs(x) for x in w))
                       if math.isfinite(m) else Num(m))
        return out
    win = []
    nans = 0
    ca = cb = 0
    for a, b in ranges:
        while cb < b:
            x = vals[cb]
            if isinstance(x, float) and math.isnan(x):
                nans += 1
            else:
                bisect.insort(win, x)
            cb += 1
        while ca < a:
            x = vals[ca]
            if isinstance(x, float) and math.isnan(x):
                nans -= 1
            else:
                del win[bisect.bisect_left(win, x)]
            ca += 1
        if b <= a:
            out.append(None)
        elif nans:
            out.append(Num(math.nan))
        else:
            m = median_of_sorted(win)
            out.append(Num(float(m) if is_int and len(win) % 2 == 0 else m))
    return out


def window_per_point(it, stream, is_int):
    times = [t for t, _ in stream]
    vals = [v for _, v in stream]
    kind, w = it.arg_parsed
    if it.func == "moving_average" or kind == "n":
        ranges = [(max(0, i - w + 1), i + 1) for i in range(len(stream))]
        if it.func == "moving_average":
            ranges = [(i + 1 - w, i + 1) if i + 1 >= w else (0, i + 1) for i in range(len(stream))]
    else:
        ranges = [(bisect.bisect_right(times, t - w), bisect.bisect_right(times, t)) for t in times]
    return window_values(vals, ranges, is_int, it.func, w)


def window_per_step(it, stream, labels, is_int):
    times = [t for t, _ in stream]
    vals = [v for _, v in stream]
    kind, w = it.arg_parsed
    ranges = []
    for lab in labels:
        end = bisect.bisect_right(times, lab)
        if it.func == "moving_average":
            ranges.append((end - w, end) if end >= w else (0, end))
        elif kind == "n":
            ranges.append((max(0, end - w), end))
        else:
            ranges.append((bisect.bisect_right(times, lab - w), end))
    return window_values(vals, ranges, is_int, it.func, w)


def win_item(func, field, arg):
    it = Item("win", func, field, arg)
    if re.match(r"[0-9]+\Z", str(arg)):
        it.arg_parsed = ("n", int(arg))
    else:
        m = re.match(r"([0-9]+)(ns|us|ms|s|m|h|d|w)\Z", arg)
        it.arg_parsed = ("dur", int(m.group(1)) * UNITS[m.group(2)])
    return it


# ----------------------------------------------------------------------------------------------
# stratad process and connection

class Server:
    def __init__(self, build, workdir, timeout):
        self.bin = os.path.join(build, "server", "stratad")
        self.dir = os.path.join(workdir, "data")
        self.port_file = os.path.join(workdir, "port")
        self.log_path = os.path.join(workdir, "stratad.log")
        self.proc = None
        self.timeout = timeout
        self.port = None

    def start(self):
        if not os.access(self.bin, os.X_OK):
            raise RuntimeError("no stratad at %s (build it first)" % self.bin)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.bin, "--data-dir", self.dir, "--port", "0", "--port-file", self.port_file,
             "--fsync", "off", "--log-level", "warn"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("stratad exited with %s: %s" % (self.proc.returncode, self.log_tail()))
            try:
                with open(self.port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    return self.port
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError("stratad did not write its port file within %ds" % self.timeout)

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after SIGTERM timeout"


class ProtocolError(Exception):
    pass


class Conn:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.rf = self.sock.makefile("rb")
        self.lineno = 0
        self.write_errors = []    # (line number, reason)

    def close(self):
        try:
            self.rf.close()
            self.sock.close()
        except OSError:
            pass

    def send_lines(self, lines):
        if not lines:
            return
        self.sock.sendall(("\n".join(lines) + "\n").encode("utf-8"))
        self.lineno += len(lines)

    def readline(self):
        b = self.rf.readline()
        if not b:
            raise ProtocolError("server closed the connection")
        return b.decode("utf-8", "replace").rstrip("\n")

    def _reply_line(self, cmd_line):
        while True:
            line = self.readline()
            m = re.match(r"ERR ([0-9]+) ", line)
            if m and int(m.group(1)) < cmd_line:
                self.write_errors.append((int(m.group(1)), line[m.end():]))
                continue
            return line

    def command(self, cmd):
        self.send_lines([cmd])
        return self._reply_line(self.lineno)

    def query(self, q):
        """-> (header list, rows list) or raises QueryError."""
        self.send_lines([q])
        first = self._reply_line(self.lineno)
        if first.startswith("ERR"):
            raise QueryError(first)
        header = first.split("\t")
        rows = []
        while True:
            line = self.readline()
            if line.startswith("END ") and re.match(r"END [0-9]+ [0-9]+\Z", line):
                n = int(line.split()[1])
                if n != len(rows):
                    raise ProtocolError("END says %d rows, got %d" % (n, len(rows)))
                return header, rows
            if line.startswith("ERR"):
                raise QueryError(line + " (after %d rows)" % len(rows))
            rows.append(line.split("\t"))


class QueryError(Exception):
    pass


class RefError(Exception):
    """The reference says the statement must answer ERR."""


# ----------------------------------------------------------------------------------------------
# data loading

class Loader:
    def __init__(self, conn, model, report):
        self.conn, self.model, self.report = conn, model, report
        self.expected_rejects = []     # connection line numbers
        self.lines_sent = 0
        self.points = 0

    def send(self, lines, phase, must_reject=()):
        """Apply lines to the model (reference parser and type rules) and send them.
        must_reject: indexes that the test means to be invalid (checked against the model)."""
        base = self.conn.lineno
        accepted = rejected = 0
        for idx, line in enumerate(lines):
            st = line.strip()
            if not st or st.startswith("#"):
                continue
            try:
                meas, tags, fields, ts = parse_line(line)
                if ts is None:
                    raise LPError("test data must carry timestamps")
                ok = self.model.line_ok(meas, fields)
            except LPError:
                ok = False
            if idx in must_reject and ok:
                raise AssertionError("reference accepts a line meant to be rejected: %r" % line)
            if ok:
                self.model.write(meas, tags, fields, ts, phase)
                accepted += 1
                self.points += len(fields)
            else:
                rejected += 1
                self.expected_rejects.append(base + idx + 1)
        step = 20000
        for i in range(0, len(lines), step):
            self.conn.send_lines(lines[i:i + step])
        self.lines_sent += len(lines)
        return accepted, rejected

    def sync(self, phase, accepted, rejected):
        line = self.conn.command("SYNC")
        m = re.match(r"OK ([0-9]+) ([0-9]+) ([0-9]+)\Z", line)
        if not m:
            raise ProtocolError("SYNC answered %r" % line)
        a, r, t = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if (a, r) != (accepted, rejected):
            self.report.fail("SYNC after phase %d" % phase, "OK %d %d <t>" % (accepted, rejected), line)
        self.model.phase_time[phase] = t
        return t

    def check_rejects(self):
        got = sorted(n for n, _ in self.conn.write_errors)
        exp = sorted(self.expected_rejects)
        if got != exp:
            self.report.fail("rejected write lines", "ERR for lines %s" % exp,
                             "ERR for lines %s: %s" % (got, self.conn.write_errors[:10]))


def read_lines(path, limit=None):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines[:limit] if limit else lines


E0 = 1772323200 * NS     # 2026-03-01T00:00:00Z, the edge measurement's base time


def edge_lines_phase0(rng):
    """Hand-made rows: out-of-order and duplicate timestamps across series, integer/unsigned/
    bool/string fields, escaped tag values, a series without the host tag, a same-batch
    rewrite, and lines that must be rejected. Returns (lines, indexes that must be rejected)."""
    lines = []
    pts = []
    for k in range(60):
        t = E0 + k * 30 * NS
        pts.append("edge,host=h1,region=r1 v=%s,n=%di %d" % (repr(round(rng.uniform(-50, 50), 3)), rng.randint(-1000, 1000), t))
        pts.append("edge,host=h2,region=r1 v=%s,n=%di %d" % (repr(round(rng.uniform(0, 10), 2)), rng.randint(0, 9), t))
        if k % 3 == 0:
            pts.append("edge,host=h3,region=r2 v=%s,n=%di %d" % (repr(rng.uniform(1e6, 2e6)), rng.randint(-5, 5), t + 15 * NS))
        if k % 4 == 0:
            pts.append("edge,region=r2 v=%s %d" % (repr(rng.choice([0.1, 0.2, 0.3, 1e-7, 123456.789])), t + 7 * NS))
        if k % 5 == 0:
            pts.append("edge,host=h\\ 4\\,x,region=r1 v=%s %d" % (repr(float(k)), t))
    rng.shuffle(pts)                                   # out-of-order timestamps
    lines += pts
    lines += [
        "# a comment line is neither accepted nor rejected",
        "",
        'edge,host=h1,region=r1 s="hello, world",b=true %d' % (E0 + 60 * NS),
        'edge,host=h1,region=r1 s="tab\there",b=false %d' % (E0 + 90 * NS),
        'edge,host=h2,region=r1 s="with \\"quotes\\" and = sign",b=t %d' % (E0 + 60 * NS),
        "edge,host=h1,region=r1 big=9007199254740993i %d" % (E0 + 5 * NS),
        "edge,host=h1,region=r1 big=9007199254740993i %d" % (E0 + 6 * NS),
        "edge,host=h1,region=r1 big=-3i %d" % (E0 + 7 * NS),
        "edge,host=h2,region=r1 u=18446744073709551615u %d" % (E0 + 5 * NS),
        "edge,host=h2,region=r1 u=5u %d" % (E0 + 6 * NS),
        "edge,region=r1,host=h1 v=0.5 %d" % (E0 + 1 * NS),             # tags out of order
        "edge,host=h\\5,region=r1 v=5.5 %d" % (E0 + 600 * NS),         # tag value h\5
        "edge,host=h\\5,region=r1 v=6.5 %d" % (E0 + 601 * NS),
        "edge,host=h3,region=r2 v=100 %d" % (E0 + 3601 * NS),
        "edge,host=h3,region=r2 v=200 %d" % (E0 + 3601 * NS),      # rewritten at once: last wins
        "edge,host=h3,region=r2 v=200 %d" % (E0 + 3600 * NS),
    ]
    bad = len(lines)
    lines += [
        "edge,host=h1,region=r1 n=2.5 %d" % (E0 + 8 * NS),          # n is an integer field
        "edge,host=h1,region=r1 v=3i %d" % (E0 + 8 * NS),           # v is a float field
        "edge,host=h1,region=r1 v=1,u=3i %d" % (E0 + 9 * NS),       # u is unsigned: whole line
        "edge,host=h1 this is not line protocol",
        "edge,host=h1,region=r1 v=1.2.3 %d" % (E0 + 9 * NS),
        "edge,host=h1,region=r1 v=1 12ab",
    ]
    must = set(range(bad, len(lines)))
    # points around and before the Unix epoch (negative timestamps, floor-aligned buckets)
    for i, t in enumerate([-86400 * NS - 1, -1500 * 10 ** 6, -NS, -1, 0, 1, 999999999, NS, 1500 * 10 ** 6]):
        lines.append("old,k=a v=%d %d" % (i + 1, t))
    # NaN and infinities (accepted as floats, docs/format/line_protocol.md §3.1)
    sp = [("a", "1"), ("a", "nan"), ("a", "3"), ("a", "4"), ("a", "5"), ("a", "-NaN"), ("a", "7"),
          ("b", "+inf"), ("b", "2"), ("b", "-inf"), ("b", "Infinity"),
          ("c", "5"), ("c", "+Inf"), ("c", "-1.5")]
    for i, (k, v) in enumerate(sp):
        lines.append("specials,k=%s x=%s %d" % (k, v, E0 + i * 10 * NS))
    # float formatting: shortest round-trip text of awkward doubles
    for i, v in enumerate(["1e22", "1.5e-10", "123456789012345680000", "5e-324", "1.7976931348623157e308",
                           "1152921504606846976", "0.1", "100", "1e16", "12345678.9", "-0.0", "-2.5e-300",
                           "4503599627370497.5", "9007199254740993", "0.30000000000000004"]):
        lines.append("fmt,k=a x=%s %d" % (v, E0 + i * NS))
    # integer sums are exact; an int64 overflow is an error (docs/query.md)
    lines += ["ovf,k=a n=9223372036854775807i %d" % E0, "ovf,k=a n=1i %d" % (E0 + NS),
              "ovf,k=b n=-9223372036854775808i %d" % E0, "ovf,k=b n=9223372036854775807i %d" % (E0 + NS)]
    return lines, must


# ----------------------------------------------------------------------------------------------
# query generation

class Gen:
    def __init__(self, model, rng, cpu_span):
        self.m, self.r = model, rng
        self.cpu_lo, self.cpu_hi = cpu_span
        self.cpu_hosts = sorted(model.series_of("cpu"), key=lambda s: s.tags["hostname"])
        self.cpu_fields = sorted(model.ftypes.get("cpu", {}))

    # -- helpers
    def phase(self):
        r = self.r.random()
        if r < 0.62:
            return LATEST, None
        ph = self.r.choice([0, 1, 1, 1, 2, 3])
        return ph, str(self.m.phase_time[ph])

    def trange(self, lo, hi, step, min_len, max_len):
        length = self.r.randint(min_len // step, max_len // step) * step
        length += self.r.choice([0, 0, 0, 3 * NS, step // 2])
        start = lo + self.r.randrange(0, max(1, (hi - lo - length) // step)) * step
        start += self.r.choice([0, 0, 0, 0, 7 * NS, step // 3])
        end = start + length
        ops = self.r.choice([(">=", "<"), (">=", "<"), (">", "<="), (">=", "<="), (">", "<")])
        style = self.r.choice(["rfc", "rfc", "int"])
        return TimeRange([(ops[0], start, style), (ops[1], end, style)])

    def cpu_tag(self):
        r = self.r
        hosts = [s.tags["hostname"] for s in self.cpu_hosts]
        regions = sorted({s.tags["region"] for s in self.cpu_hosts})
        c = r.randrange(9)
        if c == 0:
            return None
        if c in (1, 2):
            return TagCmp("hostname", "=", r.choice(hosts))
        if c == 3:
            return TagCmp("hostname", "!=", r.choice(hosts))
        if c == 4:
            return TagCmp("hostname", "=~", "^host_[%s]$" % "".join(sorted(r.sample("01234", 2))))
        if c == 5:
            return TagCmp("region", r.choice(["=", "!="]), r.choice(regions))
        if c == 6:
            a, b = r.sample(hosts, 2)
            return BoolOp("OR", [TagCmp("hostname", "=", a), TagCmp("hostname", "=", b)])
        if c == 7:
            return TagCmp("region", "=~", r.choice(["east", "west", "^eu", "1$"]))
        return BoolOp("AND", [TagCmp("arch", "=", r.choice(["x64", "x86"])),
                              TagCmp("hostname", "!~", "host_[34]")])

    def cpu_field_cond(self):
        r = self.r
        c = r.randrange(6)
        f = r.choice(self.cpu_fields)
        if c == 0:
            return FieldCmp("usage_user", ">", r.choice([50, 75, 90, 95.5]))
        if c == 1:
            return FieldCmp(f, r.choice(["<", "<=", ">", ">="]), float(r.randint(5, 95)))
        if c == 2:
            return BoolOp("OR", [FieldCmp("usage_user", ">", 80), FieldCmp("usage_idle", "<", 20.5)])
        if c == 3:
            return BoolOp("AND", [FieldCmp("usage_system", ">=", 30), FieldCmp("usage_system", "<=", 70)])
        if c == 4:
            return FieldCmp("usage_nice", "!=", 0.0)
        return FieldCmp("usage_irq", "<", 50)

    def aggs(self, fields, k):
        out = []
        funcs = ["count", "sum", "mean", "min", "max", "first", "last", "median", "percentile",
                 "stddev", "spread"]
        for _ in range(k):
            f = self.r.choice(funcs)
            fld = self.r.choice(fields)
            if f == "percentile":
                p = self.r.choice(["95", "50", "1", "99.9", "12.5", "100", "33"])
                out.append(Item("agg", f, fld, p))
            else:
                out.append(Item("agg", f, fld))
        if self.r.random() < 0.15:
            out[0].alias = "a0"
        # avoid duplicate column names
        seen, res = set(), []
        for it in out:
            if it.column() not in seen:
                seen.add(it.column())
                res.append(it)
        return res

    # -- families
    def cpu_whole(self):
        r = self.r
        ph, at = self.phase()
        tr = self.trange(self.cpu_lo, self.cpu_hi, 10 * NS, 60 * NS, 86400 * NS) if r.random() < 0.6 else None
        gb = r.choice([[], [], ["hostname"], ["region"], ["arch", "hostname"], ["team"]])
        if r.random() < 0.1:
            items = [Item("aggstar", r.choice(["count", "max", "mean", "spread"]))]
        else:
            items = self.aggs(self.cpu_fields, r.randint(1, 4))
        return Query("cpu", items, tag=self.cpu_tag(), time=tr, gb_tags=gb, phase=ph, asof_text=at,
                     field=self.cpu_field_cond() if r.random() < 0.3 else None,
                     asof_pos=r.choice(["end", "end", "from"]),
                     limit=r.choice([None] * 8 + [0, 2]))

    def cpu_grouped(self):
        r = self.r
        ph, at = self.phase()
        d = r.choice([60, 300, 900, 3600, 90, 420, 7200]) * NS
        off = r.choice([0, 0, 0, 30 * NS, 120 * NS, -60 * NS]) % d if r.random() < 0.5 else 0
        if off and r.random() < 0.3:
            off = off - d     # a negative offset, same buckets
        maxlen = min(86400 * NS, d * 300)
        tr = self.trange(self.cpu_lo, self.cpu_hi, 10 * NS, 60 * NS, maxlen)
        fill = r.choice([None, "null", "none", "previous", "linear", 0, -1, 42.5])
        if r.random() < 0.1:
            tr = TimeRange([r.choice(tr.conds)])    # a one-sided range
        field = self.cpu_field_cond() if r.random() < 0.45 else None
        gb = r.choice([[], [], ["hostname"], ["region"]])
        items = self.aggs(self.cpu_fields, r.randint(1, 3))
        if fill == 42.5 and any(i.func == "count" for i in items):
            fill = 42
        desc = r.random() < 0.25          # FILL works in time order, then rows are reversed
        return Query("cpu", items, tag=self.cpu_tag(), field=field, time=tr, gb_time=(d, off),
                     gb_tags=gb, fill=fill, desc=desc, limit=r.choice([None] * 6 + [1, 5, 30]),
                     phase=ph, asof_text=at)

    def cpu_raw(self):
        r = self.r
        ph, at = self.phase()
        tr = self.trange(self.cpu_lo, self.cpu_hi, 10 * NS, 60 * NS, 3 * 3600 * NS)
        tag = self.cpu_tag()
        if r.random() < 0.15:
            items = [Item("star")]
            limit = r.choice([3, 10, 50])
            # the tag columns of * are the measurement's (docs/query.md); Strata takes them from
            # the matched series (reported; one fixed query covers it), so match some series here
            tag = r.choice([None, TagCmp("hostname", "=", r.choice(self.cpu_hosts).tags["hostname"])])
        else:
            fs = r.sample(self.cpu_fields, r.randint(1, 3))
            items = [Item("raw", field=f) for f in fs]
            if r.random() < 0.3:
                items.append(Item("raw", field=r.choice(["hostname", "region", "rack"])))
            limit = r.choice([None, None, None, 20, 100])
        gb = r.choice([[], [], [], ["hostname"]])
        return Query("cpu", items, tag=tag, time=tr, phase=ph, asof_text=at,
                     field=self.cpu_field_cond() if r.random() < 0.6 else None, gb_tags=gb,
                     desc=r.random() < 0.3, limit=limit)

    def cpu_window(self):
        r = self.r
        ph, at = self.phase()
        f = r.choice(self.cpu_fields)
        per_step = r.random() < 0.45
        tag = r.choice([TagCmp("hostname", "=", r.choice(self.cpu_hosts).tags["hostname"]),
                        TagCmp("hostname", "=~", "^host_[0-2]$"), None])
        if per_step:
            tr = self.trange(self.cpu_lo, self.cpu_hi, 10 * NS, 600 * NS, 4 * 3600 * NS)
            step = r.choice([30, 60, 300, 45]) * NS
        else:
            tr = self.trange(self.cpu_lo, self.cpu_hi, 10 * NS, 60 * NS, (3600 if tag is not None else 1200) * NS)
        args = [r.choice(["10m", "1m", "90s", "1h", "25s"]), r.choice(["5", "6", "1", "2", "30"])]
        if r.random() < 0.3:
            items = [win_item("moving_average", f, r.choice(["3", "6", "1", "20"]))]
        else:
            items = [win_item("rolling_median", f, r.choice(args))]
        if r.random() < 0.3:
            extra = win_item(r.choice(["rolling_median", "moving_average"]), f, r.choice(["4", "7"]))
            if extra.column() != items[0].column():
                items.append(extra)
        fill = None
        if per_step and all(i.func == "rolling_median" for i in items):
            fill = r.choice([None, None, "none", "previous", 0])
        return Query("cpu", items, tag=tag, time=tr, phase=ph, asof_text=at,
                     field=self.cpu_field_cond() if r.random() < 0.2 else None,
                     gb_time=((step, 0) if per_step else None), fill=fill,
                     gb_tags=r.choice([[], [], ["hostname"]]),
                     desc=r.random() < 0.2,
                     limit=r.choice([None, None, None, 10]))

    def nab(self):
        r = self.r
        ph, at = self.phase()
        c = r.randrange(6)
        cw = self.m.series_of("cloudwatch")
        s = r.choice(cw)
        tl = self.m.view(LATEST, s, "value")[0]
        lo, hi = tl[0], tl[-1]
        if c == 0:      # whole-range aggregates per series / region
            items = self.aggs(["value"], r.randint(1, 4))
            tag = r.choice([None, TagCmp("region", "=", s.tags["region"]), TagCmp("series", "=~", "cpu")])
            return Query("cloudwatch", items, tag=tag, gb_tags=r.choice([["series"], ["region"], []]),
                         phase=ph, asof_text=at,
                         time=r.choice([None, TimeRange([(">=", lo + (hi - lo) // 3, "rfc")])]))
        if c == 1:      # GROUP BY time within one file's span
            d = r.choice([3600, 1800, 86400, 600, 21600]) * NS
            tr = self.trange(lo, hi, 300 * NS, 3600 * NS, min(hi - lo, d * 200))
            fill = r.choice([None, "none", "previous", "linear", 0])
            return Query("cloudwatch", self.aggs(["value"], r.randint(1, 3)),
                         tag=TagCmp("series", "=", s.tags["series"]), time=tr,
                         gb_time=(d, r.choice([0, 0, 300 * NS])), fill=fill, phase=ph, asof_text=at,
                         field=r.choice([None, None, FieldCmp("value", ">", r.choice([0, 0.5, 10, 1000]))]),
                         desc=r.random() < 0.2)
        if c == 2:      # GROUP BY time over all series, no time range, FILL(none)
            return Query("cloudwatch", self.aggs(["value"], r.randint(1, 2)),
                         tag=TagCmp("region", "=", r.choice(["ec2", "rds", "elb", "grok"])),
                         gb_time=(r.choice([86400, 7 * 86400]) * NS, 0), gb_tags=["series"],
                         fill="none", phase=ph, asof_text=at)
        if c == 3:      # traffic: fields only partly share timestamps
            sens = r.choice(self.m.series_of("traffic"))
            fl = sorted(f for f in self.m.ftypes["traffic"] if self.m.view(LATEST, sens, f)[0])
            tl = self.m.view(LATEST, sens, fl[0])[0]
            tr = self.trange(tl[0], tl[-1], 60 * NS, 3600 * NS, 2 * 86400 * NS) if r.random() < 0.7 else None
            cond = None
            if r.random() < 0.5:
                cf = r.choice(fl)
                cond = FieldCmp(cf, r.choice([">", "<"]), r.choice([5.0, 10, 50, 100, 200]))
            return Query("traffic", [Item("raw", field=f) for f in fl],
                         tag=TagCmp("region", "=", sens.tags["region"]), time=tr, field=cond,
                         limit=r.choice([None, 50]), desc=r.random() < 0.3, phase=ph, asof_text=at)
        if c == 4:      # traffic aggregates per sensor
            f = r.choice(sorted(self.m.ftypes["traffic"]))
            return Query("traffic", self.aggs([f], r.randint(1, 4)), gb_tags=["region"],
                         field=r.choice([None, FieldCmp(f, ">", 20)]), phase=ph, asof_text=at)
        # rolling median over one cloudwatch series
        tr = self.trange(lo, hi, 300 * NS, 3600 * NS, 86400 * NS)
        per_step = r.random() < 0.5
        return Query("cloudwatch", [win_item("rolling_median", "value", r.choice(["1h", "30m", "12", "3"]))],
                     tag=TagCmp("series", "=", s.tags["series"]), time=tr, phase=ph, asof_text=at,
                     gb_time=((r.choice([600, 3600]) * NS, 0) if per_step else None))

    def vega(self):
        r = self.r
        fields = sorted(self.m.ftypes["weather"])
        c = r.randrange(3)
        if c == 0:
            return Query("weather", self.aggs(fields, r.randint(1, 4)), gb_tags=["region"],
                         field=r.choice([None, FieldCmp("precipitation", ">", 0.0),
                                         FieldCmp("temp_max", ">=", 30)]),
                         time=r.choice([None, TimeRange([(">=", 1356998400 * NS, "rfc"), ("<", 1388534400 * NS, "rfc")]),
                                        TimeRange([(">=", 1387000000 * NS, "int")])]))
        if c == 1:
            d = r.choice([30, 7, 365, 91]) * 86400 * NS
            return Query("weather", self.aggs(fields, r.randint(1, 2)),
                         gb_time=(d, r.choice([0, 86400 * NS])), gb_tags=r.choice([[], ["region"]]),
                         tag=r.choice([None, TagCmp("region", "=", "New York")]),
                         fill=r.choice([None, "none"]), limit=r.choice([None, 5]),
                         time=r.choice([None, TimeRange([(">=", 1356998400 * NS, "rfc"), ("<", 1388534400 * NS, "int")])]))
        return Query("weather", [Item("star")] if r.random() < 0.5 else [Item("raw", field=f) for f in r.sample(fields, 2)],
                     tag=r.choice([None, TagCmp("region", "!=", "Seattle")]),
                     field=r.choice([None, FieldCmp("wind", ">", 7.5)]),
                     time=TimeRange([(">=", 1370044800 * NS, "int"), ("<", 1372982400 * NS, "int")]),
                     desc=r.random() < 0.3, limit=r.choice([None, 7]))

    def random_query(self):
        fam = self.r.choices(["cpu_whole", "cpu_grouped", "cpu_raw", "cpu_window", "nab", "vega"],
                             weights=[20, 26, 14, 14, 18, 8])[0]
        q = getattr(self, fam)()
        q.lower = self.r.random() < 0.1
        if q.asof_text and self.r.random() < 0.3:
            q.asof_pos = self.r.choice(["from", "mid"])
        return q


def now_queries():
    """Statements with now() in WHERE; the model gets the equivalent fixed range. The window is
    derived from the clock so that it covers the cpu set (2026-01-01) and not the NAB set
    (2013-2015); none if the clock is before the cpu set."""
    cpu_start = 1767225600 * NS
    now = time.time_ns()
    if now < cpu_start + 2 * 86400 * NS:
        return []
    days = (now - cpu_start) // (86400 * NS) + 30
    since = TimeRange([(">=", now - days * 86400 * NS, "int")])
    out = []
    for q, texts in (
            (Query("cpu", [Item("agg", "count", "usage_user"), Item("agg", "mean", "usage_idle")],
                   gb_tags=["hostname"]), ["time <= now()"]),
            (Query("cpu", [Item("agg", "count", "usage_user")], time=since),
             ["time >= now() - %dd" % days, "time < now() + 1h"]),
            (Query("cloudwatch", [Item("agg", "count", "value")], time=since),
             ["time >= now() - %dd" % days])):
        q.time_text = texts
        out.append(q)
    return out


def fixed_queries(model):
    """Hand-made queries over the edge rows and special values, and a few expected errors."""
    P = model.phase_time
    T = lambda s: TimeRange(s)
    e10 = E0 + 600 * NS
    qs = [
        Query("edge", [Item("agg", "count", "v"), Item("agg", "sum", "v"), Item("agg", "min", "n"),
                       Item("agg", "max", "n"), Item("agg", "sum", "n")], gb_tags=["host"]),
        Query("edge", [Item("raw", field="v"), Item("raw", field="n")], time=T([(">=", E0, "rfc"), ("<", E0 + 300 * NS, "rfc")])),
        Query("edge", [Item("raw", field="v"), Item("raw", field="host")], time=T([(">=", E0, "rfc"), ("<", E0 + 300 * NS, "rfc")]), desc=True),
        Query("edge", [Item("raw", field="v")], tag=TagCmp("host", "=", "h 4,x")),
        Query("edge", [Item("agg", "mean", "v")], tag=TagCmp("host", "=", "")),
        Query("edge", [Item("agg", "count", "v")], gb_tags=["host", "region"]),
        Query("edge", [Item("agg", "sum", "big"), Item("agg", "count", "big"), Item("agg", "max", "big"),
                       Item("agg", "mean", "big")]),
        Query("edge", [Item("agg", "median", "big"), Item("agg", "percentile", "big", "50"),
                       Item("agg", "first", "big"), Item("agg", "spread", "big")]),
        Query("edge", [Item("raw", field="u")]),
        Query("edge", [Item("agg", "max", "u"), Item("agg", "min", "u"), Item("agg", "count", "u")]),
        Query("edge", [Item("raw", field="s"), Item("raw", field="b")]),
        Query("edge", [Item("raw", field="s"), Item("raw", field="v")], field=FieldCmp("b", "=", True)),
        Query("edge", [Item("raw", field="s")], field=FieldCmp("s", "=~", "wor")),
        Query("edge", [Item("raw", field="b")], field=FieldCmp("s", "=", "hello, world")),
        Query("edge", [Item("agg", "count", "s"), Item("agg", "count", "b")]),
        Query("edge", [Item("agg", "median", "n"), Item("agg", "percentile", "n", "50"), Item("agg", "spread", "n"), Item("agg", "stddev", "n"),
               Item("agg", "first", "n"), Item("agg", "last", "n"), Item("agg", "mean", "n")], gb_tags=["host"]),
        Query("edge", [Item("agg", "count", "v"), Item("agg", "max", "v")], gb_time=(5 * 60 * NS, 0),
              time=T([(">=", E0 - 30 * 60 * NS, "rfc"), ("<", E0 + 2 * 3600 * NS, "rfc")]), gb_tags=["host"]),
        Query("edge", [Item("agg", "mean", "v")], gb_time=(5 * 60 * NS, 0), fill="linear",
              tag=TagCmp("host", "=", "h3"), time=T([(">=", E0, "rfc"), ("<", E0 + 2 * 3600 * NS, "rfc")])),
        Query("edge", [Item("agg", "sum", "n")], gb_time=(10 * 60 * NS, 0), fill="linear",
              tag=TagCmp("host", "=", "h3")),
        Query("edge", [Item("agg", "count", "v")], gb_time=(7 * 60 * NS, 0), fill="previous", gb_tags=["host"]),
        Query("edge", [Item("agg", "last", "v")], gb_time=(15 * 60 * NS, 0), fill=-1, gb_tags=["region"]),
        Query("edge", [Item("raw", field="v")], time=T([("=", E0 + 600 * NS, "int")])),
        Query("edge", [Item("agg", "count", "v")], time=T([(">", e10, "int"), ("<=", e10 + 300 * NS, "int")]), gb_tags=["host"]),
        Query("edge", [win_item("rolling_median", "n", "2m")], tag=TagCmp("region", "=", "r1"),
              time=T([(">=", E0, "rfc"), ("<", E0 + 1200 * NS, "rfc")])),
        Query("edge", [win_item("rolling_median", "v", "3"), win_item("moving_average", "v", "3")],
              tag=TagCmp("region", "=", "r1"), time=T([(">=", E0, "rfc"), ("<", E0 + 1200 * NS, "rfc")]),
              gb_tags=["host"]),
        Query("edge", [win_item("rolling_median", "v", "10m")], gb_time=(60 * NS, 0), fill="previous",
              time=T([(">=", E0 - 120 * NS, "rfc"), ("<", E0 + 1800 * NS, "rfc")])),
        Query("edge", [win_item("moving_average", "n", "4")], gb_time=(60 * NS, 0),
              tag=TagCmp("host", "=", "h1"), time=T([(">=", E0, "rfc"), ("<", E0 + 1800 * NS, "rfc")])),
        Query("edge", [Item("agg", "count", "v")], gb_star=True),
        Query("edge", [Item("star")], tag=TagCmp("host", "=", ""), limit=2),
        # before the epoch: negative times, floor-aligned buckets
        Query("old", [Item("raw", field="v")]),
        Query("old", [Item("agg", "count", "v"), Item("agg", "sum", "v")], gb_time=(NS, 0), fill="none"),
        Query("old", [Item("agg", "count", "v")], gb_time=(NS, 0),
              time=T([(">=", -3 * NS, "rfc"), ("<", 2 * NS, "rfc")])),
        Query("old", [Item("agg", "first", "v"), Item("agg", "last", "v")], gb_time=(86400 * NS, 0)),
        # NaN and infinities
        Query("specials", [Item("raw", field="x")]),
        Query("specials", [Item("agg", "count", "x"), Item("agg", "first", "x"), Item("agg", "last", "x")], gb_tags=["k"]),
        Query("specials", [Item("agg", "sum", "x"), Item("agg", "max", "x"), Item("agg", "min", "x"),
                           Item("agg", "mean", "x"), Item("agg", "spread", "x")], tag=TagCmp("k", "=", "c")),
        Query("specials", [Item("agg", "sum", "x"), Item("agg", "max", "x"), Item("agg", "min", "x")], tag=TagCmp("k", "=", "b")),
        Query("specials", [win_item("rolling_median", "x", "2")], tag=TagCmp("k", "=", "a")),
        Query("specials", [win_item("rolling_median", "x", "25s")], tag=TagCmp("k", "=", "a"), gb_time=(10 * NS, 0)),
        Query("specials", [Item("raw", field="x")], field=FieldCmp("x", ">", 1e308)),
        Query("specials", [Item("raw", field="x")], field=FieldCmp("x", "<", 0)),
        # AS OF: before anything, at each phase, and between clauses
        Query("edge", [Item("agg", "count", "v")], phase=BEFORE_ALL, asof_text="'2000-01-01T00:00:00Z'"),
        Query("edge", [Item("agg", "count", "v"), Item("agg", "sum", "n")], gb_tags=["host"], phase=0, asof_text=str(P[0])),
        Query("edge", [Item("agg", "count", "v"), Item("agg", "sum", "n")], gb_tags=["host"], phase=2, asof_text=str(P[2]), asof_pos="from"),
        Query("edge", [Item("raw", field="v")], tag=TagCmp("host", "=", "h2"), phase=3, asof_text=str(P[3]),
              time=T([(">=", E0 + 540 * NS, "rfc"), ("<", E0 + 960 * NS, "rfc")])),
        Query("edge", [Item("raw", field="v")], tag=TagCmp("host", "=", "h2"), phase=2, asof_text=str(P["first_delete"] - 1),
              time=T([(">=", E0 + 540 * NS, "rfc"), ("<", E0 + 960 * NS, "rfc")])),
        Query("edge", [Item("raw", field="v")], tag=TagCmp("host", "=", "h2"),
              time=T([(">=", E0 + 540 * NS, "rfc"), ("<", E0 + 960 * NS, "rfc")])),
        Query("cpu", [Item("agg", "count", "usage_user"), Item("agg", "sum", "usage_user"),
                      Item("agg", "max", "usage_user")], phase=1, asof_text=str(P[1])),
        Query("cpu", [Item("agg", "count", "usage_user"), Item("agg", "sum", "usage_user"),
                      Item("agg", "max", "usage_user")]),
        Query("cpu", [Item("agg", "count", "usage_idle")], gb_tags=["hostname"], phase=2, asof_text=str(P[2])),
        Query("cloudwatch", [Item("agg", "count", "value"), Item("agg", "first", "value")], gb_tags=["series"]),
        Query("cloudwatch", [Item("raw", field="value")], tag=TagCmp("series", "=", "ec2_network_in_5abac7"),
              time=T([(">=", 1394330400 * NS, "rfc"), ("<", 1394337600 * NS, "rfc")])),
        Query("weather", [Item("agg", "count", "wind")], gb_tags=["region"]),
        Query("weather", [Item("raw", field="temp_max")], tag=TagCmp("region", "=~", "York"), limit=3, desc=True),
        # the "last point per series" dashboard query, and now() time expressions
        Query("cpu", [Item("aggstar", "last")], gb_tags=["hostname"]),
        Query("cpu", [Item("aggstar", "last")], gb_tags=["hostname"], phase=1, asof_text=str(P[1])),
        Query("edge", [Item("raw", field="v"), Item("raw", field="host")],
              time=T([(">=", E0, "rfc"), ("<=", E0 + 600 * NS, "rfc")])),
        Query("edge", [Item("agg", "count", "v"), Item("agg", "last", "v")], gb_tags=["host"], desc=True),
        Query("weather", [Item("agg", "count", "temp_max"), Item("agg", "last", "temp_max")], gb_tags=["region"], phase=2, asof_text=str(P[2])),
        # float formatting, exact integers, int64 overflow
        Query("fmt", [Item("raw", field="x")]),
        Query("fmt", [Item("agg", "max", "x"), Item("agg", "min", "x")]),
        Query("edge", [Item("raw", field="big")], field=FieldCmp("big", "=", 9007199254740993)),
        Query("edge", [Item("raw", field="big")], field=FieldCmp("big", "=", 9007199254740992)),
        Query("edge", [Item("raw", field="u")], field=FieldCmp("u", ">", 9223372036854775807)),
        Query("edge", [Item("agg", "sum", "u")]),
        Query("edge", [Item("agg", "sum", "u")], field=FieldCmp("u", "<", 100)),
        # a large answer: streamed in chunks of about 256 KiB
        Query("cpu", [Item("star")], time=T([("<", 1767225600 * NS + 6 * 3600 * NS, "rfc")])),
        Query("ovf", [Item("agg", "sum", "n")], gb_tags=["k"]),
        Query("ovf", [Item("agg", "sum", "n")], tag=TagCmp("k", "=", "b")),
        Query("ovf", [Item("agg", "min", "n"), Item("agg", "max", "n"), Item("agg", "spread", "n")], tag=TagCmp("k", "=", "b")),
        # errors the docs promise
        Query("cpu", [Item("raw", field="usage_user"), Item("agg", "mean", "usage_user")], expect_error="mix"),
        Query("cpu", [Item("agg", "count", "usage_user")], expect_error="OR with time",
              tag=BoolOp("OR", [TagCmp("hostname", "=", "host_1"), TagCmp("hostname", "=", "host_2")])),
    ]
    # the time-in-OR query needs a hand-written WHERE
    qs[-1].raw_text = "SELECT count(usage_user) FROM cpu WHERE hostname = 'host_1' OR time > 0"
    return qs + now_queries()


# ----------------------------------------------------------------------------------------------
# reporting

class Report:
    def __init__(self, verbose):
        self.verbose = verbose
        self.queries = 0
        self.rows = 0
        self.cells = 0
        self.mismatches = []
        self.errors = []
        self.t_server = self.t_ref = 0.0

    def fail(self, what, expected, actual):
        self.mismatches.append((what, expected, actual))
        print("MISMATCH %s\n  expected: %s\n  actual:   %s" % (what, expected, actual), flush=True)


def compare(report, q, text, exp_header, candidates, header, rows):
    report.rows += len(rows)
    report.cells += len(rows) * len(header)
    if header != exp_header:
        report.fail(text, "header %s" % exp_header, "header %s" % header)
        return False
    best = None
    for cand in candidates:
        diffs = []
        for i in range(max(len(cand), len(rows))):
            e = cand[i] if i < len(cand) else None
            g = rows[i] if i < len(rows) else None
            if e is None or g is None or len(g) != len(e) or not all(cell_ok(c, x) for c, x in zip(e, g)):
                diffs.append(i)
        if not diffs:
            return True
        if best is None or len(diffs) < len(best[1]):
            best = (cand, diffs)
    cand, diffs = best
    lines = ["%d expected rows, %d actual rows, %d differ; first differences:" % (len(cand), len(rows), len(diffs))]
    for i in diffs[:6]:
        e = cand[i] if i < len(cand) else None
        g = rows[i] if i < len(rows) else None
        lines.append("    row %d expected: %s" % (i, "(none)" if e is None else "\t".join(show_cell(c) for c in e)))
        lines.append("    row %d actual:   %s" % (i, "(none)" if g is None else "\t".join(g)))
    report.fail(text, "see below", "\n" + "\n".join(lines))
    return False


def run_query(conn, model, report, q):
    text = getattr(q, "raw_text", None) or q.text()
    report.queries += 1
    if q.expect_error:
        try:
            header, rows = conn.query(text)
        except QueryError:
            return
        report.fail(text, "ERR (%s)" % q.expect_error, "an answer with %d rows" % len(rows))
        return
    t0 = time.time()
    try:
        exp_header, cands = evaluate(model, q)
    except RefError as e:
        q.expect_error = str(e)
        report.queries -= 1
        return run_query(conn, model, report, q)
    t1 = time.time()
    report.t_ref += t1 - t0
    try:
        header, rows = conn.query(text)
        report.t_server += time.time() - t1
    except QueryError as e:
        report.fail(text, "an answer (%d rows)" % len(cands[0]), str(e))
        return
    compare(report, q, text, exp_header, cands, header, rows)
    if report.verbose:
        print("ok %5d rows  %s" % (len(rows), text), flush=True)


def check_versions(conn, model, report):
    """SELECT VERSIONS of hand-picked edge points written at most once per phase."""
    P = model.phase_time
    bounds = {0: (0, P[0]), 1: (P[0], P[1]), 2: (P[1], P[2]), 3: (P[2], P[3]), 4: (P[3], P[4])}
    for host, field, t in model.version_points:
        s = [x for x in model.series_of("edge") if x.tags.get("host") == host][0]
        text = "SELECT VERSIONS %s FROM edge WHERE host = '%s' AND time = %d" % (field, host, t)
        report.queries += 1
        try:
            header, rows = conn.query(text)
        except QueryError as e:
            report.fail(text, "an answer", str(e))
            continue
        tagkeys = sorted(s.tags)
        exp_header = ["time"] + tagkeys + [field, "system_from", "system_to", "tombstone"]
        vers = []
        for ph, v in model.versions(s, field, t):
            prev = vers[-1][1] if vers else None
            if vers and v is not TOMB and prev is not TOMB and num_text(v) == num_text(prev):
                continue          # an identical rewrite adds no version
            if vers and v is TOMB and prev is TOMB:
                continue
            vers.append((ph, v))
        ok = header == exp_header and len(rows) == len(vers)
        if ok:
            for i, ((ph, v), row) in enumerate(zip(vers, rows)):
                sf = row[-3]
                lo, hi = bounds[ph]
                cells = [fmt_time(t)] + [s.tags[k] for k in tagkeys]
                if row[:len(cells)] != cells:
                    ok = False
                if v is TOMB:
                    ok = ok and row[len(cells)] == "" and row[-1] == "true"
                else:
                    ok = ok and cell_ok(Num(v), row[len(cells)]) and row[-1] == "false"
                nxt = rows[i + 1][-3] if i + 1 < len(rows) else ""
                ok = ok and row[-2] == nxt
                ok = ok and fmt_time(lo) < sf <= fmt_time(hi)
        if ok:
            report.rows += len(rows)
        else:
            report.fail(text, "%s; versions %s" % (exp_header, [(ph, "TOMB" if v is TOMB else v) for ph, v in vers]),
                        "%s %s" % (header, rows))


# ----------------------------------------------------------------------------------------------

def model_delete(model, meas, tag, field, trange, phase):
    n = 0
    lo, hi = trange.lo, trange.hi
    for s in model.series_of(meas):
        if tag is not None and not tag.match(s.tags):
            continue
        views = {f: model.view(LATEST, s, f) for f in s.fields}
        times = set()
        for f, (tl, _, _) in views.items():
            i = bisect.bisect_left(tl, lo) if lo is not None else 0
            j = bisect.bisect_left(tl, hi) if hi is not None else len(tl)
            times.update(tl[i:j])
        dels = []
        for t in sorted(times):
            if field is not None and not field.eval(lambda f, t=t: views[f][2].get(t) if f in views else None):
                continue
            for f, (_, _, d) in views.items():
                if t in d:
                    dels.append((f, t))
        for f, t in dels:
            model.put(s, f, t, TOMB, phase)
        n += len(dels)
    return n


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(repo, "build", "release"),
                    help="build directory holding server/stratad")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(repo), "shared"),
                    help="the shared folder with data/ and peers/")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=300, help="random queries (plus the fixed ones)")
    ap.add_argument("--nab-lines", type=int, default=200000, help="cap on NAB lines loaded")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per server answer")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--verbose", "-v", action="store_true")
    a = ap.parse_args()

    nab = os.path.join(a.shared, "data", "nab_dev", "nab_dev.lp")
    vega = os.path.join(a.shared, "data", "vega_weather", "vega_weather.lp")
    gen = os.path.join(a.shared, "peers", "gen_workload.py")
    for p in (nab, vega, gen):
        if not os.path.exists(p):
            print("SKIP: missing %s" % p)
            return SKIP

    t_start = time.time()
    timings = []
    last = [t_start]

    def tick(what):
        now = time.time()
        timings.append("%s %.1fs" % (what, now - last[0]))
        last[0] = now

    work = tempfile.mkdtemp(prefix="strata_e2e_")
    server = Server(a.build, work, max(30, a.timeout))
    report = Report(a.verbose)
    rng = random.Random(a.seed)
    rc = 1
    conn = None
    try:
        tsbs = os.path.join(work, "tsbs.lp")
        subprocess.run([sys.executable, gen, "--hosts", "5", "--days", "1", "--seed", "7",
                        "--corrections", "0.01", "--out", tsbs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(tsbs + ".meta.json") as f:
            meta = json.load(f)
        tsbs_lines = read_lines(tsbs)
        main_rows = meta["main_rows"]
        main_part, corrections = tsbs_lines[:main_rows], tsbs_lines[main_rows:]
        half = main_rows // 2
        nab_lines = read_lines(nab, a.nab_lines)
        vega_lines = read_lines(vega)

        tick("read data")
        server.start()
        conn = Conn(server.port, a.timeout)
        model = Model()
        ld = Loader(conn, model, report)

        # phase 0: real data sets, first half of the cpu set, edge rows -> FLUSH
        edge0, must0 = edge_lines_phase0(random.Random(a.seed * 31 + 1))
        acc = rej = 0
        # vega has one partition per (city, day) and a FLUSH costs per partition: 2012 and 2013
        # only; 2012 is flushed here, 2013 goes to the memtable in phase 1
        vega_cut, vega_end = 1356998400 * NS, 1388534400 * NS
        vega_ts = [int(l.rsplit(" ", 1)[1]) for l in vega_lines]
        vega0 = [l for l, t in zip(vega_lines, vega_ts) if t < vega_cut]
        vega1 = [l for l, t in zip(vega_lines, vega_ts) if vega_cut <= t < vega_end]
        for lines, must in ((nab_lines, ()), (vega0, ()), (main_part[:half], ()), (edge0, must0)):
            x, y = ld.send(lines, 0, must)
            acc, rej = acc + x, rej + y
        tick("send phase 0")
        ld.sync(0, acc, rej)
        tick("SYNC 0")
        line = conn.command("FLUSH")
        if line != "OK":
            report.fail("FLUSH", "OK", line)
        tick("FLUSH")
        # Rollups (DESIGN §8): from here on every aggregate query of the generator with a fitting
        # GROUP BY time (its intervals and offsets are multiples of 30 s) and no AS OF or field
        # condition is answered from one, through the memtable phases, corrections, deletes and
        # the second FLUSH below, and checked against the reference like every other answer.
        for meas in ("cpu", "cloudwatch", "weather", "edge"):
            for every in ("30s", "1h", "1d"):
                text = "CREATE ROLLUP %s_%s ON %s EVERY %s" % (meas, every, meas, every)
                line = conn.command(text)
                report.queries += 1
                if line != "OK":
                    report.fail(text, "OK", line)
        tick("CREATE ROLLUP")

        # phase 1: the second half of the cpu set (memtable), out-of-order edge rows older than
        # the flushed ones
        edge1 = ["edge,host=h1,region=r1 v=%s,n=%di %d" % (repr(-k * 1.25), k, E0 - k * 45 * NS) for k in range(1, 30)]
        edge1 += ["edge,host=h2,region=r1 v=%s %d" % (repr(k / 7), E0 + 1800 * NS + k * 30 * NS) for k in range(20)]
        x1, y1 = ld.send(main_part[half:], 1)
        x2, y2 = ld.send(edge1 + vega1, 1)
        ld.sync(1, x1 + x2, y1 + y2)
        tick("phase 1")

        # phase 2: late corrections (last write wins), one of them on a flushed edge point
        tcorr = E0 + 600 * NS
        edge2 = ["edge,host=h1,region=r1 v=9.25 %d" % tcorr,
                 "edge,host=h2,region=r1 n=77i %d" % (E0 + 900 * NS),
                 "edge,host=h1,region=r1 v=-2.5 %d" % (E0 - 45 * NS),          # correct a memtable point
                 "edge,host=h3,region=r2 v=200 %d" % (E0 + 3600 * NS)]         # identical rewrite
        x1, y1 = ld.send(corrections, 2)
        x2, y2 = ld.send(edge2, 2)
        ld.sync(2, x1 + x2, y1 + y2)
        tick("phase 2")

        # phase 3: deletes (tombstones; AS OF before them still sees the points)
        deletes = [
            ("edge", TagCmp("host", "=", "h2"), None, TimeRange([(">=", E0 + 600 * NS, "rfc"), ("<", E0 + 900 * NS + 1, "rfc")])),
            ("cpu", TagCmp("hostname", "=", "host_3"), FieldCmp("usage_user", ">", 95), TimeRange()),
            ("cloudwatch", TagCmp("series", "=", "ec2_cpu_utilization_24ae8d"), None,
             TimeRange([("<", 1392500000 * NS, "int")])),
            ("specials", TagCmp("k", "=", "zzz"), None, TimeRange()),          # matches nothing
            ("weather", BoolOp("OR", [TagCmp("region", "=", "Seattle"), TagCmp("region", "=", "New York")]),
             None, TimeRange([(">=", 1387929600 * NS, "rfc")])),                # last week of 2013
        ]
        for i, (meas, tag, field, tr) in enumerate(deletes):
            conds = ([tag.text()] if tag else []) + ([field.text()] if field else []) + tr.texts()
            text = "DELETE FROM %s%s" % (meas, (" WHERE " + " AND ".join(conds)) if conds else "")
            n = model_delete(model, meas, tag, field, tr, 3)
            line = conn.command(text)
            report.queries += 1
            m = re.match(r"OK ([0-9]+) ([0-9]+)\Z", line)
            if not m or int(m.group(1)) != n:
                report.fail(text, "OK %d <system-time>" % n, line)
            if m:
                model.phase_time[3] = int(m.group(2))
                if i == 0:
                    model.phase_time["first_delete"] = int(m.group(2))

        # phase 4: a write after a delete makes the point live again
        edge4 = ["edge,host=h2,region=r1 v=4.5 %d" % (E0 + 720 * NS)]
        x, y = ld.send(edge4, 4)
        ld.sync(4, x, y)
        tick("deletes, phase 4")
        ld.check_rejects()
        model.version_points = [("h1", "v", tcorr), ("h2", "v", E0 + 720 * NS), ("h2", "n", E0 + 900 * NS),
                                ("h3", "v", E0 + 3600 * NS), ("h1", "v", E0 - 45 * NS)]
        t_loaded = time.time()
        print("loaded %d lines (%d points in the model) in %.1f s (%s)" % (
            ld.lines_sent, ld.points, t_loaded - t_start, ", ".join(timings)), flush=True)

        for q in fixed_queries(model):
            run_query(conn, model, report, q)
        check_versions(conn, model, report)
        g = Gen(model, rng, (meta["start_ns"], meta["end_ns_exclusive"]))
        for _ in range(a.queries):
            run_query(conn, model, report, g.random_query())
        t_first = time.time()
        # everything into chunk files now: corrections, tombstones and rewrites become
        # multi-version blocks; the same answers must come back
        line = conn.command("FLUSH")
        if line != "OK":
            report.fail("second FLUSH", "OK", line)
        t_flush2 = time.time() - t_first
        for q in fixed_queries(model):
            run_query(conn, model, report, q)
        check_versions(conn, model, report)
        for _ in range(a.queries // 4):
            run_query(conn, model, report, g.random_query())
        # The rollups did answer: a dashboard query reads cpu_1h (all buckets flushed by now).
        _, plan = conn.query("EXPLAIN SELECT mean(usage_user) FROM cpu GROUP BY time(1h)")
        report.queries += 1
        used = [row[0] for row in plan if row[0].startswith("rollups: ")]
        if not used or not used[0].startswith("rollups: cpu_1h ("):
            report.fail("EXPLAIN SELECT mean(usage_user) FROM cpu GROUP BY time(1h)",
                        "rollups: cpu_1h (...)", used)
        if conn.command("PING") != "PONG":
            report.errors.append("PING did not answer PONG")
        print("queries: %.1f s (server %.1f s, reference %.1f s; second FLUSH %.1f s)" % (
            time.time() - t_loaded - t_flush2, report.t_server, report.t_ref, t_flush2), flush=True)
        rc = 0 if not report.mismatches and not report.errors else 1
    except (ProtocolError, OSError, RuntimeError, subprocess.CalledProcessError) as e:
        report.errors.append(str(e))
        print("ERROR: %s" % e, flush=True)
        rc = 1
    finally:
        if conn is not None:
            conn.close()
        stop_rc = server.stop()
        if stop_rc not in (0, None):
            report.errors.append("stratad exit status after SIGTERM: %s" % stop_rc)
            print("ERROR: stratad exit status after SIGTERM: %s\n%s" % (stop_rc, server.log_tail()))
            rc = 1
        if a.keep:
            print("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("summary: %d queries, %d rows (%d cells) compared, %d mismatches, %d errors, %.1f s" % (
        report.queries, report.rows, report.cells, len(report.mismatches), len(report.errors),
        time.time() - t_start))
    if report.mismatches:
        print("mismatched statements:")
        for what, _, _ in report.mismatches:
            print("  " + what)
    return rc


if __name__ == "__main__":
    sys.exit(main())
