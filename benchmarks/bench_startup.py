"""Start-up of `routerdesk serve`: time from launch to "listening on", and to the first
answered `model="auto"` request (demo provider: classified, routed, answered), this
tree vs a git ref.

    .venv/bin/python benchmarks/bench_startup.py [--baseline REF] [--runs 9]

The baseline is checked out into a temporary git worktree and run with the same
interpreter (its `src/` first on PYTHONPATH); runs alternate between the two so
load on a shared machine hits both alike. Prints the median of each and the
difference (the learned classifier's goal: at most +100 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first_answer(url: str) -> None:
    body = json.dumps({"model": "auto", "messages": [{"role": "user", "content": "hi there"}]})
    req = urllib.request.Request(
        url + "/v1/chat/completions",
        data=body.encode(),
        headers={"Authorization": "Bearer bench", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200


def time_to_listen(src: Path, home: Path) -> tuple[float, float]:
    """Seconds from launch to "listening on", and to the first answer."""
    env = dict(os.environ, PYTHONPATH=str(src), ROUTERDESK_HOME=str(home), ROUTERDESK_TOKEN="bench")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "routerdesk", "serve", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "listening on" in line:
                listening = time.perf_counter() - t0
                _first_answer(line.split("listening on ", 1)[1].strip())
                return listening, time.perf_counter() - t0
        raise RuntimeError("serve exited before listening")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default="HEAD~1", help="git ref to compare with")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base), args.baseline],
                       check=True)  # fmt: skip
        try:
            ours: list[tuple[float, float]] = []
            theirs: list[tuple[float, float]] = []
            for i in range(args.runs):
                pair = ((ROOT / "src", ours), (base / "src", theirs))
                for j, (src, out) in enumerate(pair if i % 2 else pair[::-1]):
                    home = Path(tmp) / f"home{i}-{j}"
                    home.mkdir()
                    out.append(time_to_listen(src, home))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=True
            )
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}; {args.runs} runs each, alternating")
    for k, what in enumerate(("'listening on'", "the first answer")):
        m_ours = statistics.median(t[k] for t in ours) * 1000
        m_base = statistics.median(t[k] for t in theirs) * 1000
        print(f"to {what}:")
        print(f"  this tree   : median {m_ours:.0f} ms")
        print(f"  {args.baseline:12s}: median {m_base:.0f} ms")
        print(f"  difference  : {m_ours - m_base:+.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
