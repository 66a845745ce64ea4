#!/usr/bin/env python3
"""Do queries block ingest (issue 5)? Loads the TSBS-like workload into a fresh stratad twice as
fast as it can, once alone and once while another connection runs a query loop (a whole-day
median over usage_user, which decodes every block it reads), and prints the ingest rates, their
ratio, and the query latencies seen during the load. Both loads go to fresh servers so they
write the same data into the same state.

Usage: bench/bench_concurrent.py <build-dir> <workload.lp> [--query Q]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

QUERY = ("SELECT count(usage_user), median(usage_user) FROM cpu "
         "WHERE time >= '2026-01-01T00:00:00Z' AND time < '2026-01-02T00:00:00Z'")


def start_server(build, work):
    port_file = os.path.join(work, "port")
    proc = subprocess.Popen([os.path.join(build, "server", "stratad"), "--data-dir",
                             os.path.join(work, "data"), "--port", "0", "--port-file", port_file,
                             "--fsync", "off", "--log-level", "warn"])
    for _ in range(300):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
            return proc, int(open(port_file).read())
        time.sleep(0.05)
    proc.kill()
    sys.exit("stratad did not start")


def query_loop(port, query, stop, latencies, errors):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        reader = sock.makefile("r")
        while not stop.is_set():
            started = time.perf_counter()
            sock.sendall((query + "\n").encode())
            while True:
                line = reader.readline()
                if not line:
                    errors.append("connection closed")
                    return
                if line.startswith("END ") or line.startswith("ERR "):
                    break
            if line.startswith("ERR "):
                errors.append(line.strip())
                return
            latencies.append((time.perf_counter() - started) * 1000)


def load(build, port, workload):
    started = time.perf_counter()
    out = subprocess.run([os.path.join(build, "tools", "strata"), "--port", str(port), "load",
                          "--quiet", workload], check=True, capture_output=True, text=True)
    return time.perf_counter() - started, out.stdout.strip()


def run(build, workload, with_queries, query):
    with tempfile.TemporaryDirectory(prefix="strata-concurrent-") as work:
        proc, port = start_server(build, work)
        try:
            stop, latencies, errors = threading.Event(), [], []
            thread = None
            if with_queries:
                thread = threading.Thread(target=query_loop,
                                          args=(port, query, stop, latencies, errors))
                thread.start()
            seconds, summary = load(build, port, workload)
            stop.set()
            if thread:
                thread.join()
            if errors:
                sys.exit("query failed: " + errors[0])
            return seconds, summary, latencies
        finally:
            proc.terminate()
            proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("workload")
    parser.add_argument("--query", default=QUERY)
    args = parser.parse_args()
    alone, summary_alone, _ = run(args.build, args.workload, False, args.query)
    busy, summary_busy, latencies = run(args.build, args.workload, True, args.query)
    print("alone:        " + summary_alone)
    print("with queries: " + summary_busy)
    print("ingest time with a concurrent query loop / alone: %.2f / %.2f s = %.2f"
          % (busy, alone, busy / alone))
    if latencies:
        print("%d queries ran during the load: median %.1f ms, max %.1f ms"
              % (len(latencies), statistics.median(latencies), max(latencies)))


if __name__ == "__main__":
    main()
