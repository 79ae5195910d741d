"""An open-loop load generator for mixed traffic: several request streams, each at its own rate, for a fixed time.

Open loop (requests are started on a schedule, not when the previous one returns), so a slow server shows as growing
latency and a backlog rather than as a politely lower request rate. Keep-alive connections, one per worker thread.
Reports per stream: requests sent and answered, errors (status ≥ 500, or refused/timeout), p50/p95/p99 latency and
the achieved rate; and the CPU time the server's and the database's processes used (from /proc), as shares of the
machine.
"""

import http.client
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    ok: Callable[[int], bool] = lambda status: status < 500


@dataclass
class Stream:
    """``rate`` requests per second made by ``make()`` (called from worker threads: make it thread-safe)."""

    name: str
    rate: float
    make: Callable[[], Request]


@dataclass
class Result:
    name: str
    sent: int = 0
    answered: int = 0
    errors: int = 0
    late_starts: int = 0
    latencies: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    error_samples: list = field(default_factory=list)

    def summary(self, seconds: float) -> dict:
        lat = sorted(self.latencies)

        def pct(p):
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None

        return {"stream": self.name, "sent": self.sent, "answered": self.answered, "errors": self.errors,
                "rate_per_s": round(self.answered / seconds, 2), "p50_ms": pct(0.50), "p95_ms": pct(0.95),
                "p99_ms": pct(0.99), "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "error_samples": self.error_samples[:3]}


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used by ``root`` and its descendants so far: each live process's own time plus the time of the
    children it has reaped (so PostgreSQL backends and server workers that ended during a run still count)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            total += sum(int(parts[i]) for i in (11, 12, 13, 14)) / tick  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            continue
    return total


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant (the server's worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def run(base_url: str, streams: list[Stream], seconds: float, *, threads: int = 32, server_pid: int | None = None,
        db_pid: int | None = None, timeout: float = 30.0) -> dict:
    """Drive ``streams`` against ``base_url`` for ``seconds``; returns per-stream summaries and machine usage: the CPU
    of the server's process tree (``server_pid``), of the database's (``db_pid``, the postmaster) and of this load
    generator, each as a share of the machine."""
    parts = urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    results = {s.name: Result(s.name) for s in streams}
    lock = threading.Lock()
    work: queue.Queue = queue.Queue()
    stop = object()

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        while True:
            item = work.get()
            if item is stop:
                conn.close()
                return
            stream, scheduled = item
            result = results[stream.name]
            try:
                req = stream.make()
            except Exception as exc:  # noqa: BLE001 — a factory failure is reported, not fatal
                with lock:
                    result.errors += 1
                    result.error_samples.append(f"factory: {exc!r}")
                continue
            started = time.monotonic()
            if started - scheduled > 1.0:
                with lock:
                    result.late_starts += 1
            status, error = None, None
            for _attempt in range(2):  # a keep-alive connection the server closed: reconnect once
                try:
                    conn.request(req.method, req.path, body=req.body, headers=req.headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    break
                except (http.client.HTTPException, OSError) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                    error = repr(exc)
            elapsed = time.monotonic() - scheduled  # from the scheduled start: queueing in the client counts too
            with lock:
                result.answered += status is not None
                if status is not None:
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    result.latencies.append(elapsed)
                if status is None or not req.ok(status):
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(error or f"{req.method} {req.path[:80]} → {status}")

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    roots = {"server": server_pid, "db": db_pid}
    cpu_before = {k: tree_cpu_seconds(pid) for k, pid in roots.items() if pid}
    client_before, wall_before = time.process_time(), time.monotonic()
    start = time.monotonic()
    next_at = {s.name: start for s in streams}
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        for s in streams:
            while next_at[s.name] <= now and s.rate > 0:
                work.put((s, next_at[s.name]))
                results[s.name].sent += 1
                next_at[s.name] += 1.0 / s.rate
        time.sleep(0.002)
    for _ in pool:
        work.put(stop)
    for t in pool:
        t.join(timeout=timeout + 5)
    wall = time.monotonic() - wall_before
    machine = wall * (os.cpu_count() or 1)
    out = {"seconds": round(wall, 1), "streams": [results[s.name].summary(seconds) for s in streams],
           "cpus": os.cpu_count()}
    for key, before in cpu_before.items():
        used = tree_cpu_seconds(roots[key]) - before
        out[f"{key}_cpu_seconds"], out[f"{key}_cpu_share"] = round(used, 1), round(used / machine, 3)
    out["client_cpu_share"] = round((time.process_time() - client_before) / machine, 3)
    if "server" in cpu_before:
        out["platform_cpu_share"] = round(out["server_cpu_share"] + out.get("db_cpu_share", 0), 3)
    return out
