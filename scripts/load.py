"""Load test of the production server on loopback (issue 5, item 6).

Generates a corpus with the benchmark's generator, builds the index, starts
``searchapp serve`` on 127.0.0.1, then drives C concurrent clients (stdlib threads and
http.client) for D seconds with mixed searches (page and API) and document views (ids
taken from /api/search results), optionally running K ``searchapp build`` rebuilds into
the same index folder during the run. Reports requests/s, p50/p95/p99 latency, errors
(count and first examples) and the server's memory (VmHWM/VmRSS). Exits 1 if any
request failed.

    python scripts/load.py --paragraphs 100000 --clients 16 --seconds 60 --rebuilds 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from searchapp.bench import generate_corpus, percentile

QUERIES = [
    "armistice", "embassy", "Sov Govt", "Soviet Government", "shld", "Govt", "negot*", '"armistice line"',
    "armistice negotiations", "korea", "NK", "cease fire", "security council", "position", "soviet proposal",
]
MAX_ERROR_EXAMPLES = 10
REQUEST_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def searchapp_cmd() -> list[str]:
    exe = shutil.which("searchapp", path=os.path.dirname(sys.executable)) or shutil.which("searchapp")
    return [exe] if exe else [sys.executable, "-m", "searchapp.cli"]


def memory_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak) and VmRSS of a process, in kB, from /proc."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                out[name] = int(value.split()[0])
    except OSError:
        pass
    return out


def wait_ready(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/search?q=embassy")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors = 0
        self.examples: list[str] = []
        self.doc_ids: list[str] = []

    def record(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)
            if error:
                self.errors += 1
                if len(self.examples) < MAX_ERROR_EXAMPLES:
                    self.examples.append(error)


def client(port: int, stats: Stats, stop_at: float, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    while time.monotonic() < stop_at:
        r = rng.random()
        q = rng.choice(QUERIES)
        if r < 0.4:
            kind, path = "api", "/api/search?" + urllib.parse.urlencode({"q": q})
        elif r < 0.75 or not stats.doc_ids:
            params = {"q": q}
            if rng.random() < 0.2:
                params["sort"] = "date"
            kind, path = "page", "/search?" + urllib.parse.urlencode(params)
        else:
            kind, path = "doc", f"/doc/{urllib.parse.quote(rng.choice(stats.doc_ids))}?" + urllib.parse.urlencode({"q": q})
        t0 = time.perf_counter()
        error = None
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                error = f"{resp.status} GET {path}: {body[:200]!r}"
            elif kind == "api":
                hits = json.loads(body).get("hits", [])
                if hits:
                    with stats.lock:
                        if len(stats.doc_ids) < 500:
                            stats.doc_ids.extend(h["doc_id"] for h in hits[:3])
        except (OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{exc.__class__.__name__} GET {path}: {exc}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        stats.record(kind, (time.perf_counter() - t0) * 1000, error)
    conn.close()


def rebuilder(cmd: list[str], count: int, seconds: float, results: list[str]) -> None:
    """Run ``count`` full rebuilds spread over the run."""
    for i in range(count):
        time.sleep(seconds / (count + 1) * 0.5)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        took = time.perf_counter() - t0
        results.append(f"rebuild {i + 1}: exit {proc.returncode} in {took:.1f} s" + (f": {proc.stderr.strip()[-300:]}" if proc.returncode else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paragraphs", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rebuilds", type=int, default=0, help="full rebuilds into the same index during the run")
    ap.add_argument("--workdir", type=Path, default=None, help="keep corpus and index here (default: a temporary folder)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="end with one JSON line")
    args = ap.parse_args(argv)
    if not (1 <= args.clients <= 256 and 1 <= args.seconds <= 3600 and 0 <= args.rebuilds <= 20):
        ap.error("bounds: 1..256 clients, 1..3600 seconds, 0..20 rebuilds")

    own = args.workdir is None
    root = Path(tempfile.mkdtemp(prefix="searchapp-load-")) if own else args.workdir
    root.mkdir(parents=True, exist_ok=True)
    corpus_dir, index_dir = root / "corpus", root / "index"
    server = None
    try:
        t0 = time.perf_counter()
        gen = generate_corpus(corpus_dir, args.paragraphs)
        print(f"generated {gen.paragraphs} paragraphs in {gen.files} files ({time.perf_counter() - t0:.1f} s)", flush=True)
        build_cmd = [*searchapp_cmd(), "build", "--corpus", str(corpus_dir), "--index", str(index_dir), "--full", "--json"]
        t0 = time.perf_counter()
        subprocess.run(build_cmd, check=True, capture_output=True)
        print(f"built the index ({time.perf_counter() - t0:.1f} s)", flush=True)

        port = args.port or free_port()
        # the server's log goes to a file: an unread pipe fills up and then blocks every
        # thread of the server that logs (waitress warns when its task queue grows)
        server_log = open(root / "server.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(
            [*searchapp_cmd(), "serve", "--index", str(index_dir), "--corpus", str(corpus_dir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_ready(port, server, timeout=300)
        stats = Stats()
        stop_at = time.monotonic() + args.seconds
        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(port, stats, stop_at, i), daemon=True) for i in range(args.clients)]
        rebuild_log: list[str] = []
        if args.rebuilds:
            threads.append(threading.Thread(target=rebuilder, args=(build_cmd, args.rebuilds, args.seconds, rebuild_log), daemon=True))
        peak_rss = 0
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads[: args.clients]):
            peak_rss = max(peak_rss, memory_kb(server.pid).get("VmRSS", 0))
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        for t in threads[args.clients:]:
            t.join(timeout=600)
        mem = memory_kb(server.pid)
        all_ms = [v for vs in stats.latencies.values() for v in vs]
        report = {
            "paragraphs": args.paragraphs,
            "clients": args.clients,
            "seconds": round(elapsed, 1),
            "requests": len(all_ms),
            "requests_per_s": round(len(all_ms) / elapsed, 1),
            "p50_ms": round(percentile(all_ms, 50), 1),
            "p95_ms": round(percentile(all_ms, 95), 1),
            "p99_ms": round(percentile(all_ms, 99), 1),
            "by_kind": {k: {"n": len(v), "p50_ms": round(percentile(v, 50), 1), "p95_ms": round(percentile(v, 95), 1)} for k, v in stats.latencies.items()},
            "errors": stats.errors,
            "error_examples": stats.examples,
            "rebuilds": rebuild_log,
            "server_vmhwm_mb": round(mem.get("VmHWM", 0) / 1024, 1),
            "server_vmrss_mb": round(mem.get("VmRSS", 0) / 1024, 1),
            "server_rss_sampled_peak_mb": round(peak_rss / 1024, 1),
        }
        print(f"{report['requests']} requests in {report['seconds']} s from {args.clients} clients: {report['requests_per_s']} req/s")
        print(f"latency p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, p99 {report['p99_ms']} ms")
        for kind, v in report["by_kind"].items():
            print(f"  {kind:<5} n={v['n']:<6} p50 {v['p50_ms']} ms  p95 {v['p95_ms']} ms")
        print(f"server memory: VmHWM {report['server_vmhwm_mb']} MB, VmRSS {report['server_vmrss_mb']} MB")
        for line in rebuild_log:
            print(line)
        print(f"errors: {stats.errors}")
        for example in stats.examples:
            print(f"  {example}")
        if args.json:
            print(json.dumps(report))
        failed_rebuilds = any(" exit 0 " not in line for line in rebuild_log)
        return 1 if stats.errors or failed_rebuilds else 0
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if own:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
