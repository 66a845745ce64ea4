#!/usr/bin/env python3
"""What corrections cost a query (issue 4): the TSBS-like workload is loaded into one stratad as
is and into another with 1% of its rows corrected afterwards (../shared/peers/gen_workload.py
--corrections: same main stream, then corrected copies of 1% of the rows). Both are flushed, then
the peers' Q1 (count, mean, max of usage_user over the whole day) runs alternately on both, and
the medians of the server-side times (END line) and their ratio are printed; then the same with
median() added, which forces every block to be decoded on both sides. Answers are checked
against the generator's exact "last write wins" figures.

Usage: bench/bench_corrections.py <build-dir> <workload-dir> [--runs N]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "shared", "peers", "gen_workload.py")
Q1 = ("SELECT count(usage_user), mean(usage_user), max(usage_user) FROM cpu "
      "WHERE time >= '2026-01-01T00:00:00Z' AND time < '2026-01-02T00:00:00Z'")
# The same aggregates plus median, which no block statistic answers: every block is decoded on
# both sides, so the ratio isolates what version resolution costs.
Q1_DECODED = Q1.replace("max(usage_user) FROM", "max(usage_user), median(usage_user) FROM")


def workload(directory, corrections):
    name = "cpu_h100_d1_s42.lp" if corrections == 0 else "cpu_h100_d1_s42_c%g.lp" % corrections
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        os.makedirs(directory, exist_ok=True)
        args = [sys.executable, GEN, "--hosts", "100", "--days", "1", "--seed", "42",
                "--out", path]
        if corrections:
            args += ["--corrections", str(corrections)]
        subprocess.run(args, check=True)
    with open(path + ".meta.json") as f:
        return path, json.load(f)


class Server:
    def __init__(self, build, data_dir):
        port_file = data_dir + ".port"
        self.proc = subprocess.Popen(
            [os.path.join(build, "server", "stratad"), "--data-dir", data_dir, "--port", "0",
             "--port-file", port_file, "--log-level", "warn"])
        for _ in range(300):
            if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                break
            time.sleep(0.1)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.reader = self.sock.makefile("r")
        self.build = build

    def load(self, path):
        out = subprocess.run([os.path.join(self.build, "tools", "strata"), "--port",
                              str(self.port), "load", "--quiet", path],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def command(self, line):
        self.sock.sendall((line + "\n").encode())
        lines = []
        while True:
            reply = self.reader.readline().rstrip("\n")
            lines.append(reply)
            if reply.startswith(("END", "ERR", "OK")):
                return lines

    def stop(self):
        self.sock.close()
        self.proc.terminate()
        self.proc.wait()


def check(answer, expected, what):
    header, row, end = answer
    count, mean, maximum = row.split("\t")[:3]
    ok = (int(count) == expected["count"] and
          abs(float(mean) - expected["mean"]) <= 1e-9 * abs(expected["mean"]) and
          float(maximum) == expected["max"])
    if not ok:
        sys.exit("%s: wrong answer %s, expected %s" % (what, row, expected))
    return int(end.split()[2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("workload_dir")
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    plain_path, plain_meta = workload(a.workload_dir, 0)
    corrected_path, corrected_meta = workload(a.workload_dir, 0.01)

    with tempfile.TemporaryDirectory(prefix="strata-bench-corrections.") as work:
        plain = Server(a.build, os.path.join(work, "plain"))
        corrected = Server(a.build, os.path.join(work, "corrected"))
        try:
            print("uncorrected:", plain.load(plain_path))
            print("corrected:  ", corrected.load(corrected_path),
                  "(%d correction rows)" % corrected_meta["correction_rows"])
            for server in (plain, corrected):
                assert server.command("FLUSH") == ["OK"]
            times = {}
            for name, query in (("Q1", Q1), ("Q1 + median (all blocks decoded)", Q1_DECODED)):
                plain_times, corrected_times = [], []
                for _ in range(a.runs):
                    plain_times.append(check(plain.command(query),
                                             plain_meta["usage_user_original"], "uncorrected"))
                    corrected_times.append(
                        check(corrected.command(query),
                              corrected_meta["usage_user_last_write_wins"], "corrected"))
                times[name] = (statistics.median(plain_times), statistics.median(corrected_times))
        finally:
            plain.stop()
            corrected.stop()
    for name, (base, with_corrections) in times.items():
        print("%s over %d runs each, server-side median: uncorrected %.1f ms, 1%% corrected "
              "%.1f ms, ratio %.3f" % (name, a.runs, base / 1000, with_corrections / 1000,
                                       with_corrections / base))
    print("answers match the generator's exact figures (last write wins after corrections)")


if __name__ == "__main__":
    main()
