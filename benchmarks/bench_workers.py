"""Throughput of `routerdesk serve --workers 1` against `--workers 2`, side by side in one run.

    .venv/bin/python benchmarks/bench_workers.py [--quick] [--clients 16,32] [--rounds N] [--postgres]

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

``--postgres`` adds the same two routers with the usage log in PostgreSQL
(`[storage] url`), on a throwaway cluster started like the tests do
(tests/pgcluster.py; needs the postgresql server and psycopg).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

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


CONFIGS: dict[str, tuple[str, ...]] = {"w1": (), "w2": ("--workers", "2")}
LABELS = {"w1": "1 worker", "w2": "2 workers", "w1pg": "1 w, PG", "w2pg": "2 w, PG"}


def rows_in(home: Path, pg_url: str | None) -> int:
    if pg_url:
        import psycopg

        with psycopg.connect(pg_url) as pg:
            row = pg.execute("SELECT COUNT(*) FROM requests").fetchone()
            return int(row[0]) if row else 0
    conn = sqlite3.connect(home / "usage.sqlite3")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
    finally:
        conn.close()


def report(res: dict[str, Any], clients_list: list[int], rounds: int) -> str:
    names = list(res["rows"])
    w = 11
    lines = [
        f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}; {rounds} interleaved rounds "
        f"per client count; load average (1 min) start/end {res['load_start']:.2f}/"
        f"{res['load_end']:.2f}",
        "",
        f"{'':<24}" + "".join(f"{f'{c} clients':>{w * len(names)}}" for c in clients_list),
        f"{'':<24}" + "".join(f"{LABELS[n]:>{w}}" for _ in clients_list for n in names),
    ]
    for label, key, fmt in (
        ("requests/s", "rps", ".0f"),
        ("p50 ms", "p50", ".2f"),
        ("router CPU ms/request", "cpu", ".2f"),
    ):
        cells = "".join(
            f"{format(res[f'clients_{c}'][n][key], fmt):>{w}}" for c in clients_list for n in names
        )
        lines.append(f"{label:<24}{cells}")
    for n in names[1:]:
        ratio = ", ".join(
            f"{c} clients {res[f'clients_{c}'][n]['rps'] / res[f'clients_{c}']['w1']['rps']:.2f}x"
            for c in clients_list
        )
        lines.append(f"{LABELS[n]} / 1 worker requests/s: {ratio}")
    lines.append(
        "usage rows written / requests sent: "
        + ", ".join(f"{LABELS[n]} {res['rows'][n]}/{res['sent'][n]}" for n in names)
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--clients", default="16,32", help="client counts (default 16,32)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per client count")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--postgres", action="store_true", help="also both routers on a PostgreSQL usage log"
    )
    args = parser.parse_args()
    clients_list = [int(c) for c in args.clients.split(",")]
    rounds = args.rounds or (3 if args.quick else 6)
    per = 20 if args.quick else 60
    load_start = os.getloadavg()[0]
    names = ["w1", "w2", *(("w1pg", "w2pg") if args.postgres else ())]
    cluster = None
    pg_urls: dict[str, str | None] = dict.fromkeys(names)
    if args.postgres:
        from pgcluster import PgCluster

        cluster = PgCluster()
        pg_urls.update(w1pg=cluster.new_database(), w2pg=cluster.new_database())
    up_proc, upstream = start_upstream()
    procs = [up_proc]
    with contextlib.ExitStack() as stack:
        homes = {n: Path(stack.enter_context(tempfile.TemporaryDirectory())) for n in names}
        try:
            routers = {}
            for n in names:
                extra = CONFIGS[n.removesuffix("pg")]
                p, url = start_router(upstream, homes[n], extra=extra, storage_url=pg_urls[n])
                procs.append(p)
                routers[n] = (url, p.pid)
            res = asyncio.run(bench(routers, clients_list, rounds, per))
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(30)
        res["rows"] = {n: rows_in(homes[n], pg_urls[n]) for n in names}
        if cluster is not None:
            cluster.stop()
    res["load_start"], res["load_end"] = load_start, os.getloadavg()[0]
    print(report(res, clients_list, rounds))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    lost = [n for n in res["rows"] if res["rows"][n] != res["sent"][n]]
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
