"""What shared conversation pins cost per request: in-memory pins against pins in PostgreSQL.

    .venv/bin/python benchmarks/bench_pins.py [--quick] [--clients 1,8] [--rounds N]

Setup (bench_server.py's parts): the fake OpenAI upstream in its own process;
four routers started at once, each ``serve --port 0`` with pinning on and L2
off in its own throwaway ROUTERDESK_HOME: a pair with today's in-memory pins
("memory"), and a pair sharing one PostgreSQL database, usage log and pins
("shared"; a throwaway cluster started like the tests do, tests/pgcluster.py).

Traffic: conversations of `TURNS` turns, each turn to the other router of its
pair, as a load balancer without sticky sessions may send them (the worst case
for shared pins: every continuing turn was routed elsewhere, so every one of
them is a database lookup). The first turn asks for ``auto:best``, later turns
for ``auto:cheapest``: a turn that keeps its conversation's first model shows
the pin held. Each client has its own keep-alive connection to each router.

Rounds alternate memory / shared, so drift hits both; each figure is the median
over rounds of that round's median. "overhead" is the router's own time per
request (the x-routerdesk-overhead-ms header: parse, classify, pin lookup, route);
"latency" is the client's whole request.

Recorded 2026-12-03 (README "For a team" has the table), 2 vCPUs at load
average 5.4-6.1, 5 rounds: at 1 client shared pins added 1.6 ms of router time
per later turn (+2.0 ms end to end) and kept 93% of later turns on their model
(in-memory pins: 33%); at 8 clients +11 ms of router time (the lookup thread
waiting for the GIL on a saturated machine), 95% kept.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_server import TOKEN, start_router, start_upstream

TURNS = 4
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


async def conversation(
    sessions: tuple[aiohttp.ClientSession, aiohttp.ClientSession],
    urls: tuple[str, str],
    figures: dict[str, list[float]],
) -> None:
    messages: list[dict[str, str]] = [
        {"role": "user", "content": f"Plan the migration of service {uuid.uuid4().hex}."}
    ]
    first_model = ""
    for turn in range(TURNS):
        body = {"model": "auto:best" if turn == 0 else "auto:cheapest", "messages": messages}
        t = time.perf_counter()
        async with sessions[turn % 2].post(
            urls[turn % 2] + "/v1/chat/completions", json=body, headers=HEADERS
        ) as r:
            data: Any = await r.json()
            if r.status != 200:
                raise RuntimeError(f"{urls[turn % 2]} answered {r.status}: {data}")
            model = r.headers["x-routerdesk-model"]
            overhead = float(r.headers["x-routerdesk-overhead-ms"])
        figures["latency"].append((time.perf_counter() - t) * 1000)
        figures["overhead"].append(overhead)
        if turn == 0:
            first_model = model
        else:
            figures["kept"].append(1.0 if model == first_model else 0.0)
            figures[f"kept{turn + 1}"].append(figures["kept"][-1])
            figures["later_overhead"].append(overhead)
        messages = [
            *messages,
            {"role": "assistant", "content": data["choices"][0]["message"]["content"] or "."},
            {"role": "user", "content": f"Go on with step {turn + 2}."},
        ]


async def one_round(urls: tuple[str, str], clients: int, per_client: int) -> dict[str, float]:
    figures: dict[str, list[float]] = {
        k: [] for k in ("latency", "overhead", "later_overhead", "kept")
    }
    figures.update({f"kept{t}": [] for t in range(2, TURNS + 1)})
    async with aiohttp.ClientSession() as s0, aiohttp.ClientSession() as s1:

        async def client() -> None:
            for _ in range(per_client):
                await conversation((s0, s1), urls, figures)

        await asyncio.gather(*(client() for _ in range(clients)))
    return {
        "latency": statistics.median(figures["latency"]),
        "overhead": statistics.median(figures["overhead"]),
        "later_overhead": statistics.median(figures["later_overhead"]),
        **{k: 100 * statistics.fmean(v) for k, v in figures.items() if k.startswith("kept")},
    }


async def bench(
    pairs: dict[str, tuple[str, str]], clients_list: list[int], rounds: int, per: int
) -> dict[str, dict[str, dict[str, float]]]:
    for urls in pairs.values():  # warm-up
        await one_round(urls, 2, 3)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for clients in clients_list:
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in pairs}
        for _ in range(rounds):
            for name, urls in pairs.items():
                runs[name].append(await one_round(urls, clients, per))
        out[f"clients_{clients}"] = {
            name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            for name, rs in runs.items()
        }
    return out


def report(res: dict[str, dict[str, dict[str, float]]], rounds: int) -> str:
    lines = [
        f"medians over {rounds} rounds; turns alternate between the two routers of a pair",
        f"{'clients':>7}  {'pins':<7} {'latency ms':>10} {'overhead ms':>11} "
        f"{'ovh. later turns':>16} {'turns kept on model':>19} {'(turn 2, 3, 4)':>16}",
    ]
    for key, by_name in res.items():
        clients = key.removeprefix("clients_")
        for name, f in by_name.items():
            per_turn = ", ".join(f"{f['kept' + str(t)]:.0f}%" for t in range(2, TURNS + 1))
            lines.append(
                f"{clients:>7}  {name:<7} {f['latency']:>10.2f} {f['overhead']:>11.2f} "
                f"{f['later_overhead']:>16.2f} {f['kept']:>18.0f}% " + f"{per_turn:>16}"
            )
        m, s = by_name["memory"], by_name["shared"]
        lines.append(
            f"{'':>7}  added by shared pins: latency {s['latency'] - m['latency']:+.2f} ms, "
            f"overhead of later turns {s['later_overhead'] - m['later_overhead']:+.2f} ms"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--clients", default="1,8", help="concurrent clients (default 1,8)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per client count")
    args = parser.parse_args()
    clients_list = [int(c) for c in args.clients.split(",")]
    rounds = args.rounds or (3 if args.quick else 5)
    per = 5 if args.quick else 15  # conversations per client per round
    from pgcluster import PgCluster

    cluster = PgCluster()
    shared_url = cluster.new_database()
    load_start = os.getloadavg()[0]
    up_proc, upstream = start_upstream()
    procs = [up_proc]
    try:
        with contextlib.ExitStack() as stack:
            pairs: dict[str, tuple[str, str]] = {}
            for name, url in (("memory", None), ("shared", shared_url)):
                pair = []
                for _ in range(2):
                    home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                    p, router = start_router(upstream, home, storage_url=url)
                    procs.append(p)
                    pair.append(router)
                pairs[name] = (pair[0], pair[1])
            res = asyncio.run(bench(pairs, clients_list, rounds, per))
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(30)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        cluster.stop()
    print(report(res, rounds))
    print(f"load average {load_start:.2f} -> {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
