"""Soak: the server under sustained, faulty, impatient load; memory, file descriptors and rows must stay flat.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--clients 32] [--report-every 60]

Setup (three processes): fake OpenAI and Anthropic upstreams (tests/fakes) in one
process that fail on purpose; ``routerdesk serve`` in a throwaway ROUTERDESK_HOME
pointing both providers at them (shipped registry, L2 off, short timeouts so
hangs resolve in seconds); `--clients` clients in this process sending as fast
as they are answered (the server's peak throughput throughout), half streamed,
both APIs, and one streamed request in ten closed by its client after the
first chunk.

Upstream faults, per request: 4% HTTP 500, 3% 429, 2% 403, 2% a hang before
the head, 2% a stream cut mid-answer, 2% an in-stream error event, 1% a stream
that stops sending (idle timeout); the rest answer, streamed in a few chunks.
Every `--peak-every`-th report period the faults are switched off: hangs no
longer hold clients, and the server runs at its peak throughput.

Every `--report-every` seconds: requests, answers by outcome, errors, requests/s,
the router's RSS and open file descriptors, and rows on disk against requests
sent (the usage backlog, as rows not yet written). At the end the router gets
SIGTERM and the rows are counted: every request that reached it must have its
row (lost rows = requests - rows).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = "rd-soak-token"

UPSTREAMS = """
import asyncio, random, sys
from aiohttp import web
sys.path.insert(0, {tests!r})
from fakes import Answer, FakeAnthropic, FakeOpenAI, Fault

FAULTS_ON = [True]  # POST /_soak/faults/0 or /1 switches them (the peak stretches)

random.seed({seed})
FAULTS = [
    (0.04, lambda: Fault(status=500)),
    (0.03, lambda: Fault(status=429, retry_after="0")),
    (0.02, lambda: Fault(status=403, message="no access to this model")),
    (0.02, lambda: Fault.hang()),
    (0.02, lambda: Answer(pieces=6, cut_after=4)),
    (0.02, lambda: Answer(pieces=6, error_after=4)),
    (0.01, lambda: Answer(pieces=6, hang_after=4)),
]

def pick():
    if not FAULTS_ON[0]:
        return Answer(pieces=4)
    r = random.random()
    for p, make in FAULTS:
        if r < p:
            return make()
        r -= p
    return Answer(pieces=4)

def faulty(cls):
    class Faulty(cls):
        async def handle(self, request):
            if len(self.requests) > 64:
                del self.requests[:32]
            self.script.append(pick())
            return await super().handle(request)

        def routes(self):
            return [*super().routes(), web.post("/_soak/faults/{{on}}", self.switch)]

        async def switch(self, request):
            FAULTS_ON[0] = request.match_info["on"] == "1"
            return web.Response(text="ok")
    return Faulty()

async def main():
    oa, an = faulty(FakeOpenAI), faulty(FakeAnthropic)
    await oa.start()
    await an.start()
    print(oa.base_url, an.base_url, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

SETTINGS = """
[routing]
strategy = "cheapest"
pinning = false
[routing.l2]
enabled = false
[providers.openai]
base_url = "{openai}"
[providers.openai.timeouts]
connect = 2.0
first_event = 2.0
first_byte = 5.0
idle = 2.0
total = 30.0
[providers.anthropic]
base_url = "{anthropic}"
[providers.anthropic.timeouts]
connect = 2.0
first_event = 2.0
first_byte = 5.0
idle = 2.0
total = 30.0
"""


def start_upstreams(seed: int) -> tuple[subprocess.Popen[str], str, str]:
    code = UPSTREAMS.format(tests=str(ROOT / "tests"), seed=seed)
    # stderr: aiohttp logs every client (the router) that hangs up mid-write, on purpose here
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    openai, anthropic = proc.stdout.readline().split()
    return proc, openai, anthropic


def start_router(home: Path, openai: str, anthropic: str) -> tuple[subprocess.Popen[str], str]:
    (home / "settings.toml").write_text(SETTINGS.format(openai=openai, anthropic=anthropic))
    env = {
        **os.environ,
        "ROUTERDESK_HOME": str(home),
        "ROUTERDESK_TOKEN": TOKEN,
        "OPENAI_API_KEY": "sk-soak-openai-0000000000",
        "ANTHROPIC_API_KEY": "sk-ant-soak-0000000000",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "routerdesk", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        raise SystemExit(f"router did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def count_rows(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(con.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
    finally:
        con.close()


class Load:
    """The clients and their tallies."""

    def __init__(self, url: str, clients: int, seed: int) -> None:
        self.url = url
        self.clients = clients
        self.rng = random.Random(seed)
        self.sent = 0  # requests the router accepted a connection for
        self.outcomes: Counter[str] = Counter()
        self.examples: dict[str, str] = {}  # one message per kind of error, for the report
        self.stop = asyncio.Event()

    def body(self) -> tuple[str, bytes, bool]:
        stream = self.rng.random() < 0.5
        msgs = [{"role": "user", "content": f"Question {self.rng.randint(0, 10**6)}: why?"}]
        if self.rng.random() < 0.5:
            body: dict[str, object] = {"model": "auto", "messages": msgs, "stream": stream}
            return "/v1/chat/completions", json.dumps(body).encode(), stream
        body = {"model": "auto", "messages": msgs, "stream": stream, "max_tokens": 64}
        return "/v1/messages", json.dumps(body).encode(), stream

    async def one(self, session: aiohttp.ClientSession) -> None:
        path, body, stream = self.body()
        leave_early = stream and self.rng.random() < 0.1
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        self.sent += 1
        try:
            async with session.post(self.url + path, data=body, headers=headers) as r:
                if leave_early and r.status == 200:
                    await r.content.readany()  # the first chunk, then hang up
                    r.close()
                    self.outcomes["client left mid-stream"] += 1
                    return
                text = await r.text()
                if r.status != 200:
                    self.outcomes[f"HTTP {r.status}"] += 1
                    self.examples.setdefault(f"HTTP {r.status}", text[:240])
                elif stream and ('"error"' in text or "event: error" in text):
                    self.outcomes["stream error event"] += 1
                else:
                    self.outcomes["ok"] += 1
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.outcomes[f"client error {type(exc).__name__}"] += 1

    async def client(self) -> None:
        connector = aiohttp.TCPConnector(limit=1, force_close=False)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while not self.stop.is_set():
                await self.one(session)


async def soak(
    args: argparse.Namespace, url: str, pid: int, upstream_pid: int, db: Path
) -> dict[str, object]:
    load = Load(url, args.clients, args.seed)
    tasks = [asyncio.create_task(load.client()) for _ in range(args.clients)]
    samples: list[dict[str, float]] = []
    t0 = time.perf_counter()
    last = {"sent": 0, "t": t0, "router": cpu_seconds(pid), "upstream": cpu_seconds(upstream_pid)}
    print(
        f"{'min':>5} {'phase':>6} {'requests':>9} {'req/s':>7} {'ok':>8} {'errors':>7} "
        f"{'left':>6} {'RSS MB':>7} {'fds':>5} {'rows':>9} {'behind':>7} "
        f"{'CPU% router':>11} {'upstream':>8}",
        flush=True,
    )

    async def report(peak: bool) -> None:
        rows = await asyncio.to_thread(count_rows, db)
        now = time.perf_counter()
        router, upstream = cpu_seconds(pid), cpu_seconds(upstream_pid)
        span = now - last["t"]
        sample = {
            "minute": (now - t0) / 60,
            "peak": float(peak),
            "requests": load.sent,
            "rps": (load.sent - last["sent"]) / span,
            "ok": load.outcomes["ok"],
            "errors": sum(n for k, n in load.outcomes.items() if k != "ok"),
            "left": load.outcomes["client left mid-stream"],
            "rss_mb": rss_mb(pid),
            "fds": open_fds(pid),
            "rows": rows,
            "behind": load.sent - rows,
            "router_cpu_pct": (router - last["router"]) / span * 100,
            "upstream_cpu_pct": (upstream - last["upstream"]) / span * 100,
        }
        last.update(sent=load.sent, t=now, router=router, upstream=upstream)
        samples.append(sample)
        print(
            f"{sample['minute']:5.1f} {'peak' if peak else 'faults':>6} "
            f"{sample['requests']:9,.0f} {sample['rps']:7.0f} "
            f"{sample['ok']:8,.0f} {sample['errors']:7,.0f} {sample['left']:6,.0f} "
            f"{sample['rss_mb']:7.1f} {sample['fds']:5.0f} {sample['rows']:9,.0f} "
            f"{sample['behind']:7,.0f} {sample['router_cpu_pct']:11.0f} "
            f"{sample['upstream_cpu_pct']:8.0f}",
            flush=True,
        )

    end = t0 + args.minutes * 60
    period = 0
    origin = args.upstream.rsplit("/v1", 1)[0]
    async with aiohttp.ClientSession() as control:
        while (now := time.perf_counter()) < end:
            period += 1
            peak = args.peak_every > 0 and period % args.peak_every == 0
            async with control.post(f"{origin}/_soak/faults/{0 if peak else 1}") as r:
                r.raise_for_status()
            await asyncio.sleep(min(args.report_every, end - now))
            await report(peak)
    load.stop.set()
    await asyncio.gather(*tasks)
    return {
        "samples": samples,
        "sent": load.sent,
        "outcomes": dict(load.outcomes),
        "examples": load.examples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--report-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--peak-every", type=int, default=3, help="every Nth report period runs without faults"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    up_proc, openai, anthropic = start_upstreams(args.seed)
    args.upstream = openai
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            proc, url = start_router(home, openai, anthropic)
            db = home / "usage.sqlite3"
            try:
                result = asyncio.run(soak(args, url, proc.pid, up_proc.pid, db))
            finally:
                proc.send_signal(signal.SIGTERM)
                code = proc.wait(60)
            rows = count_rows(db)
    finally:
        up_proc.terminate()
        up_proc.wait(10)
    sent = int(result["sent"])  # type: ignore[call-overload]
    samples = result["samples"]
    assert isinstance(samples, list)
    first, last = samples[0], samples[-1]
    summary = {
        **result,
        "rows": rows,
        "lost_rows": sent - rows,
        "router_exit_code": code,
        "rss_first_last_max_mb": (
            first["rss_mb"],
            last["rss_mb"],
            max(s["rss_mb"] for s in samples),
        ),
        "fds_first_last_max": (first["fds"], last["fds"], max(s["fds"] for s in samples)),
        "behind_max": max(s["behind"] for s in samples),
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
    }
    print(
        f"\n{sent:,} requests in {args.minutes:g} min ({args.clients} clients), outcomes "
        f"{json.dumps(result['outcomes'])}\n"
        f"usage rows {rows:,} vs requests {sent:,}: {sent - rows:,} lost; router exit {code}\n"
        f"RSS first/last/max {first['rss_mb']:.0f}/{last['rss_mb']:.0f}/"
        f"{summary['rss_first_last_max_mb'][2]:.0f} MB; fds first/last/max "  # type: ignore[index]
        f"{first['fds']:.0f}/{last['fds']:.0f}/{summary['fds_first_last_max'][2]:.0f}; "  # type: ignore[index]
        f"rows behind at a report, max {summary['behind_max']:,.0f}; "
        f"load average {load_start:.1f} -> {summary['load_end']:.1f}"
    )
    examples = result["examples"]
    assert isinstance(examples, dict)
    for kind, text in sorted(examples.items()):
        print(f"  e.g. {kind}: {text}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if sent == rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
