"""Does the usage log keep up? The writer's capacity against the server's peak, in one run.

    .venv/bin/python benchmarks/bench_usage.py [--seconds 20] [--clients 32] [--rows 20000]
    .venv/bin/python benchmarks/bench_usage.py --writer-only [--rows 20000] [--repeat 3] [--postgres]

Three measurements, side by side in one run on the same machine:

1. **server peak**: ``routerdesk serve`` (subprocess, shipped registry, L2 off) in
   front of the zero-latency fake OpenAI upstream (bench_server.py's setup),
   driven by `--clients` concurrent clients for `--seconds`; requests/s, the rows
   on disk the moment the load stops (what a kill -9 then would keep), the
   router's RSS, then rows after a drain (none may be missing);
2. **writer alone**: a `UsageStore` in this process fed `--rows` records carrying
   real decisions over the shipped registry (57 candidates each), as fast as
   `submit` takes them; rows/s until all are committed (the writer thread's
   capacity, the event loop's `submit` cost included), the bytes per row of that
   file on mixed traffic (five kinds of task, dictionaries included, after a
   VACUUM) and how fast `rows()` reads it back (export, `routerdesk replay`);
3. **kill -9 at peak**: the server under the same load, killed with SIGKILL;
   answers the clients got against rows in the database: the rows lost, also as
   seconds of traffic.

Plus the bytes per row of the server's database (one prompt over and over).
Ratios are printed; the writer must stay well above the server's peak
(headroom). ``--writer-only`` runs the second measurement alone, `--repeat`
times, and prints the medians (``--postgres``: plus the bytes per row of the
same rows in a throwaway PostgreSQL cluster, tests/pgcluster.py): run it with
``PYTHONPATH=<older src>`` too to compare two versions of the usage log side
by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_server import PROMPT, TOKEN, start_router, start_upstream  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def count_rows(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(con.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
    finally:
        con.close()


async def load(url: str, clients: int, seconds: float, answers: list[int]) -> float:
    """Drive the router for `seconds`; `answers[0]` counts 200s as they arrive. Returns req/s."""
    body = json.dumps({"model": "auto", "messages": PROMPT}).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    stop = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop:
            try:
                async with session.post(
                    url + "/v1/chat/completions", data=body, headers=headers
                ) as r:
                    await r.read()
                    if r.status == 200:
                        answers[0] += 1
            except aiohttp.ClientError:
                return  # the router was killed

    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return answers[0] / (time.perf_counter() - t0)


def server_peak(upstream: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        proc, url = start_router(upstream, Path(home))
        db = Path(home) / "usage.sqlite3"
        try:
            answers = [0]
            rps = asyncio.run(load(url, args.clients, args.seconds, answers))
            at_end = count_rows(db)
            rss = rss_mb(proc.pid)
            time.sleep(2.0)
            drained = count_rows(db)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        final = count_rows(db)
        size = db.stat().st_size + sum(
            f.stat().st_size for f in db.parent.glob("usage.sqlite3-*") if f.exists()
        )
    return {
        "server_rps": rps,
        "answers": answers[0],
        "rows_when_load_stopped": at_end,
        "rows_after_2s": drained,
        "rows_after_sigterm": final,
        "router_rss_mb": rss,
        "bytes_per_row": size / max(final, 1),
    }


def writer_alone(rows: int) -> dict[str, float]:
    from routerdesk.storage.usage import UsageStore
    from storage.test_usage_backlog import routed_records

    records = routed_records(500)
    with tempfile.TemporaryDirectory() as tmp:
        store = UsageStore(Path(tmp) / "usage.sqlite3")
        store.max_backlog = rows + 1  # measure the writer, not the backpressure
        t0 = time.perf_counter()
        for i in range(rows):
            rec = records[i % len(records)]
            rec.request_id = f"w{i}"
            store.submit(rec)
        submitted = time.perf_counter() - t0
        store.flush(timeout=120)
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        read = sum(1 for _ in store.rows())
        reading = time.perf_counter() - t1
        store.close()
        db = Path(tmp) / "usage.sqlite3"
        con = sqlite3.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("VACUUM")
        con.close()
        size = db.stat().st_size
    return {
        "writer_rows_per_s": rows / wall,
        "submit_us_per_row": submitted / rows * 1e6,
        "read_rows_per_s": read / reading,
        "mixed_bytes_per_row": size / rows,
    }


def postgres_bytes_per_row(rows: int) -> float:
    """The writer-alone rows in PostgreSQL: heap, TOAST, indexes and dictionaries after
    VACUUM FULL, per row."""
    import psycopg

    from pgcluster import PgCluster
    from routerdesk.storage.usage_pg import PgUsageStore
    from storage.test_usage_backlog import routed_records

    records = routed_records(500)
    cluster = PgCluster()
    try:
        url = cluster.new_database()
        store = PgUsageStore(url)
        store.max_backlog = rows + 1
        for i in range(rows):
            rec = records[i % len(records)]
            rec.request_id = f"w{i}"
            store.submit(rec)
        store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM FULL requests")
            conn.execute("VACUUM FULL zdicts")
            size = conn.execute(
                "SELECT pg_total_relation_size('requests') + pg_total_relation_size('zdicts')"
            ).fetchone()
    finally:
        cluster.stop()
    assert size is not None
    return float(size[0]) / rows


def writer_only(args: argparse.Namespace) -> int:
    import routerdesk

    runs = [writer_alone(args.rows) for _ in range(args.repeat)]
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    if args.postgres:
        medians["postgres_bytes_per_row"] = postgres_bytes_per_row(args.rows)
    print(
        json.dumps({"routerdesk": routerdesk.__file__, "runs": runs, "median": medians}, indent=2)
    )
    print(
        f"\nwriter alone, median of {args.repeat}: {medians['writer_rows_per_s']:,.0f} rows/s "
        f"(submit {medians['submit_us_per_row']:.1f} µs/row); rows() reads "
        f"{medians['read_rows_per_s']:,.0f} rows/s; {medians['mixed_bytes_per_row']:,.0f} bytes "
        f"per row on mixed traffic ({args.rows:,} rows)"
        + (f", {medians['postgres_bytes_per_row']:,.0f} in PostgreSQL" if args.postgres else "")
    )
    return 0


def kill_at_peak(upstream: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        proc, url = start_router(upstream, Path(home))
        db = Path(home) / "usage.sqlite3"
        answers = [0]

        async def run() -> float:
            task = asyncio.ensure_future(load(url, args.clients, args.seconds + 30, answers))
            await asyncio.sleep(args.seconds)
            os.kill(proc.pid, signal.SIGKILL)
            return await task

        rps = asyncio.run(run())
        proc.wait(10)
        rows = count_rows(db)
    lost = max(0, answers[0] - rows)
    return {"kill_answers": answers[0], "kill_rows": rows, "kill_lost_rows": lost, "kill_rps": rps}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="load per phase")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rows", type=int, default=20_000, help="rows for the writer alone")
    parser.add_argument("--writer-only", action="store_true", help="only the writer alone")
    parser.add_argument("--repeat", type=int, default=3, help="runs of --writer-only")
    parser.add_argument("--postgres", action="store_true", help="--writer-only: PostgreSQL too")
    args = parser.parse_args()
    if args.writer_only:
        return writer_only(args)
    load0 = os.getloadavg()[0]
    up_proc, upstream = start_upstream()
    try:
        peak = server_peak(upstream, args)
        writer = writer_alone(args.rows)
        killed = kill_at_peak(upstream, args)
    finally:
        up_proc.terminate()
        up_proc.wait(10)
    out = {**peak, **writer, **killed, "load_start": load0, "load_end": os.getloadavg()[0]}
    print(json.dumps(out, indent=2))
    lag = peak["answers"] - peak["rows_when_load_stopped"]
    print(
        f"\nserver peak {peak['server_rps']:,.0f} req/s ({args.clients} clients, "
        f"{args.seconds:g} s); writer alone {writer['writer_rows_per_s']:,.0f} rows/s: "
        f"{writer['writer_rows_per_s'] / peak['server_rps']:.1f}x headroom\n"
        f"rows behind when the load stopped: {lag:,} ({lag / peak['server_rps']:.2f} s of traffic); "
        f"missing after SIGTERM: {peak['answers'] - peak['rows_after_sigterm']:,}\n"
        f"kill -9 at peak: {killed['kill_lost_rows']:,} rows lost "
        f"({killed['kill_lost_rows'] / max(killed['kill_rps'], 1):.2f} s of traffic)\n"
        f"{peak['bytes_per_row']:,.0f} bytes per row on disk ({writer['mixed_bytes_per_row']:,.0f} "
        f"on mixed traffic); router RSS "
        f"{peak['router_rss_mb']:.0f} MB after {peak['answers']:,} requests"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
