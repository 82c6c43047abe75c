"""Throughput of `routerdesk serve --workers 1` against `--workers 2`, side by side in one run.

    .venv/bin/python benchmarks/bench_workers.py [--quick] [--clients 16,32] [--rounds N]

Setup (bench_server.py's parts): the fake OpenAI upstream in its own process;
two routers started at once, ``serve --port 0`` and ``serve --workers 2 --port
0``, each in its own throwaway ROUTERDESK_HOME (SQLite usage log, L2 off, the
shipped registry) pointed at that upstream; the client is this process, one
aiohttp session per round with one keep-alive connection per client, so the
kernel's SO_REUSEPORT hashing spreads connections over the workers. Rounds
alternate 1-worker / 2-worker, so drift hits both; each figure is the median
over rounds. "router CPU ms/request" sums the supervisor and its workers.

On a 2-core machine the client and the upstream compete with the workers for
the same two cores, so the gain is bounded well below 2x; the figure that says
what more workers buy is requests/s at the same client count, measured here.
After the run every request sent is checked against the usage rows each
router wrote (nothing lost under concurrent writers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench_server import PROMPT, TOKEN, cpu_seconds, pct, start_router, start_upstream


def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and its direct children (the workers)."""
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        kids = []
    return cpu_seconds(pid) + sum(cpu_seconds(int(k)) for k in kids)


async def round_rps(url: str, clients: int, per_client: int) -> tuple[float, list[float]]:
    body = json.dumps({"model": "auto", "messages": PROMPT}).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    latencies: list[float] = []
    # a fresh session per round: new connections, hashed afresh over the workers
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:

        async def client() -> None:
            for _ in range(per_client):
                t = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"{url} answered {r.status}")
                latencies.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - t0
    return len(latencies) / wall, latencies


async def bench(
    routers: dict[str, tuple[str, int]], clients_list: list[int], rounds: int, per: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for url, _ in routers.values():  # warm-up
        await round_rps(url + "/v1/chat/completions", 8, max(10, per // 4))
    sent = {name: 8 * max(10, per // 4) for name in routers}
    for clients in clients_list:
        figures: dict[str, dict[str, list[float]]] = {
            n: {"rps": [], "p50": [], "cpu": []} for n in routers
        }
        for _ in range(rounds):
            for name, (url, pid) in routers.items():
                cpu0 = tree_cpu(pid)
                rps, lat = await round_rps(url + "/v1/chat/completions", clients, per)
                sent[name] += len(lat)
                figures[name]["rps"].append(rps)
                figures[name]["p50"].append(pct(lat, 50) * 1000)
                figures[name]["cpu"].append((tree_cpu(pid) - cpu0) / len(lat) * 1000)
        out[f"clients_{clients}"] = {
            n: {k: statistics.median(v) for k, v in f.items()} for n, f in figures.items()
        }
    out["sent"] = sent
    return out


def rows_in(home: Path) -> int:
    conn = sqlite3.connect(home / "usage.sqlite3")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
    finally:
        conn.close()


def report(res: dict[str, Any], clients_list: list[int], rounds: int) -> str:
    lines = [
        f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}; {rounds} interleaved rounds "
        f"per client count; load average (1 min) start/end {res['load_start']:.2f}/"
        f"{res['load_end']:.2f}",
        "",
        f"{'':<26}" + "".join(f"{f'{c} clients':>24}" for c in clients_list),
        f"{'':<26}" + "".join(f"{'1 worker':>12}{'2 workers':>12}" for _ in clients_list),
    ]
    for label, key, fmt in (
        ("requests/s", "rps", ".0f"),
        ("p50 ms", "p50", ".2f"),
        ("router CPU ms/request", "cpu", ".2f"),
    ):
        cells = ""
        for c in clients_list:
            row = res[f"clients_{c}"]
            cells += f"{format(row['w1'][key], fmt):>12}{format(row['w2'][key], fmt):>12}"
        lines.append(f"{label:<26}{cells}")
    ratio = ", ".join(
        f"{c} clients {res[f'clients_{c}']['w2']['rps'] / res[f'clients_{c}']['w1']['rps']:.2f}x"
        for c in clients_list
    )
    lines.append(f"2 workers / 1 worker requests/s: {ratio}")
    lines.append(
        "usage rows written / requests sent: "
        + ", ".join(f"{n} {res['rows'][n]}/{res['sent'][n]}" for n in ("w1", "w2"))
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--clients", default="16,32", help="client counts (default 16,32)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per client count")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    clients_list = [int(c) for c in args.clients.split(",")]
    rounds = args.rounds or (3 if args.quick else 6)
    per = 20 if args.quick else 60
    load_start = os.getloadavg()[0]
    up_proc, upstream = start_upstream()
    procs = [up_proc]
    with tempfile.TemporaryDirectory() as h1, tempfile.TemporaryDirectory() as h2:
        homes = {"w1": Path(h1), "w2": Path(h2)}
        try:
            p1, url1 = start_router(upstream, homes["w1"])
            procs.append(p1)
            p2, url2 = start_router(upstream, homes["w2"], extra=("--workers", "2"))
            procs.append(p2)
            res = asyncio.run(
                bench({"w1": (url1, p1.pid), "w2": (url2, p2.pid)}, clients_list, rounds, per)
            )
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(30)
        res["rows"] = {n: rows_in(home) for n, home in homes.items()}
    res["load_start"], res["load_end"] = load_start, os.getloadavg()[0]
    print(report(res, clients_list, rounds))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    lost = [n for n in res["rows"] if res["rows"][n] != res["sent"][n]]
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
