#!/usr/bin/env python3
"""Backups (issue 7): throughput, incremental size and the cost to ingest, on the TSBS-like workload.

1. Loads the workload into a fresh stratad (--fsync off) and, as the server then stands (chunk
   files from the flushes during the load, the rest still in the WAL), takes online backups
   (BACKUP) into fresh directories: on the same file system (hard links), the same with COPY
   (every byte copied), and, if it exists, on /dev/shm (another file system: copied), each
   --tp-repeat times. Prints bytes and the median MB/s (bytes of the backup / wall time of the
   BACKUP command, as the client sees it).
2. FLUSHes and backs up into a fresh directory, loads 1% more data (the workload's first 1% of
   lines, moved one day later: new points), FLUSHes, backs up into that directory again and
   prints the bytes the second backup copied (new objects) against the bytes it holds.
3. Ingest during backup vs without: loads the workload into fresh servers, alternately with and
   without a client that takes one backup after another (into one directory, so all but the
   first are incremental) for the whole load, --interval seconds apart (0: back to back, the
   worst case); prints each rate and the medians.

Usage: bench/bench_backup.py <build-dir> <workload.lp> [--repeat 3] [--tp-repeat 5]
                             [--interval 0] [--work /tmp]
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def start_server(build, data_dir, port_file):
    proc = subprocess.Popen([os.path.join(build, "server", "stratad"), "--data-dir", data_dir,
                             "--port", "0", "--port-file", port_file, "--fsync", "off",
                             "--log-level", "warn"])
    for _ in range(300):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
            return proc, int(open(port_file).read())
        time.sleep(0.05)
    proc.kill()
    sys.exit("stratad did not start")


def command(port, text):
    """Sends one single-line command and returns its reply line."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((text + "\n").encode())
        line = sock.makefile("r").readline().strip()
    if not line.startswith("OK"):
        sys.exit(f"{text!r}: {line}")
    return line


def backup(port, directory, extra=""):
    started = time.perf_counter()
    reply = command(port, f"BACKUP '{directory}'{extra}").split()
    secs = time.perf_counter() - started
    _, bid, system_time, files, total, new_files, new_bytes, linked, copied = reply
    return {"id": bid, "system_time": int(system_time), "files": int(files), "bytes": int(total),
            "new_files": int(new_files), "new_bytes": int(new_bytes), "linked": int(linked),
            "copied": int(copied), "seconds": secs, "mb_per_s": int(total) / secs / 1e6}


def load(build, port, workload):
    started = time.perf_counter()
    out = subprocess.run([os.path.join(build, "tools", "strata"), "--port", str(port), "load",
                          "--quiet", workload], check=True, capture_output=True, text=True)
    secs = time.perf_counter() - started
    points = int(out.stdout.split("(")[1].split()[0])
    return points / secs


def stop(proc):
    proc.terminate()
    proc.wait(timeout=120)


def one_percent_more(workload, out_path):
    """The first 1% of the workload's lines, one day later: new points, new partitions' files."""
    with open(workload) as f:
        lines = f.readlines()
    n = len(lines) // 100
    day = 86_400_000_000_000
    with open(out_path, "w") as out:
        for line in lines[:n]:
            head, ts = line.rstrip("\n").rsplit(" ", 1)
            out.write(f"{head} {int(ts) + day}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("workload")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tp-repeat", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.0)
    parser.add_argument("--work", default=None, help="where data and backups go (default: TMPDIR)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="strata-bench-backup-", dir=args.work)
    shm = tempfile.mkdtemp(prefix="strata-bench-backup-", dir="/dev/shm") \
        if os.path.isdir("/dev/shm") else None
    results = {}
    try:
        # 1 + 2: throughput and the incremental backup.
        proc, port = start_server(args.build, os.path.join(work, "data"),
                                  os.path.join(work, "port"))
        rate = load(args.build, port, args.workload)
        print(f"loaded at {rate / 1e6:.2f} M points/s")
        runs = [("same file system, hard links", os.path.join(work, "bk-link"), ""),
                ("same file system, COPY", os.path.join(work, "bk-copy"), " COPY")]
        if shm:
            runs.append(("/dev/shm (another file system: copied)", os.path.join(shm, "bk"), ""))
        for name, directory, extra in runs:
            taken = []
            for k in range(args.tp_repeat):
                target = directory if k == 0 else f"{directory}-{k}"
                taken.append(backup(port, target, extra))
                if k > 0:
                    shutil.rmtree(target, ignore_errors=True)
            b = taken[0]
            med = statistics.median(t["mb_per_s"] for t in taken)
            secs = statistics.median(t["seconds"] for t in taken)
            results[name] = {"runs": taken, "median_mb_per_s": med}
            print(f"backup, {name}: {b['files']} files, {b['bytes'] / 1e6:.1f} MB; median of "
                  f"{len(taken)}: {secs:.3f} s = {med:.0f} MB/s "
                  f"({b['linked']} linked, {b['copied']} copied)")
        if shm:
            shutil.rmtree(shm, ignore_errors=True)
        for name in ("bk-link", "bk-copy"):
            shutil.rmtree(os.path.join(work, name), ignore_errors=True)
        command(port, "FLUSH")
        first = backup(port, os.path.join(work, "bk-inc"))
        results["first backup after FLUSH"] = first
        more = os.path.join(work, "more.lp")
        one_percent_more(args.workload, more)
        load(args.build, port, more)
        command(port, "FLUSH")
        second = backup(port, os.path.join(work, "bk-inc"))
        results["second backup after 1% more data"] = second
        print(f"second backup after 1% more data: {second['new_bytes']} of {second['bytes']} "
              f"bytes new ({100 * second['new_bytes'] / second['bytes']:.2f}%), "
              f"{second['new_files']} of {second['files']} files")
        stop(proc)
        shutil.rmtree(os.path.join(work, "data"))
        shutil.rmtree(os.path.join(work, "bk-inc"), ignore_errors=True)

        # 3: ingest with and without backups running, alternately.
        rates = {"without backup": [], "during backups": []}
        backups_taken = []
        for i in range(args.repeat):
            for mode in ("without backup", "during backups"):
                data = os.path.join(work, f"data-{i}-{mode[0]}")
                proc, port = start_server(args.build, data, data + ".port")
                done = threading.Event()
                taken = []

                def backups_loop(port=port, data=data, done=done, taken=taken):
                    while not done.is_set():
                        taken.append(backup(port, data + "-bk"))
                        done.wait(args.interval)

                thread = threading.Thread(target=backups_loop) if mode != "without backup" \
                    else None
                if thread:
                    thread.start()
                r = load(args.build, port, args.workload)
                done.set()
                if thread:
                    thread.join()
                    backups_taken.append(len(taken))
                rates[mode].append(r)
                print(f"run {i + 1}, {mode}: {r / 1e6:.2f} M points/s"
                      + (f" ({len(taken)} backups taken)" if thread else ""))
                stop(proc)
                shutil.rmtree(data, ignore_errors=True)
                shutil.rmtree(data + "-bk", ignore_errors=True)
        med = {k: statistics.median(v) for k, v in rates.items()}
        print(f"ingest medians: without backup {med['without backup'] / 1e6:.2f} M points/s, "
              f"during backups {med['during backups'] / 1e6:.2f} M points/s "
              f"(ratio {med['during backups'] / med['without backup']:.2f}; backups per load "
              f"{backups_taken})")
        results["ingest"] = {"rates": rates, "medians": med, "backups_per_load": backups_taken}
        os.makedirs("bench/results", exist_ok=True)
        suffix = "" if args.interval == 0 else f"-every-{args.interval:g}s"
        with open(f"bench/results/backup{suffix}.json", "w") as f:
            json.dump(results, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if shm:
            shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    main()
