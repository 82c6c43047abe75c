"""Run every benchmark in this folder, one after another, and keep each one's output.

`make bench` calls this. Each script runs in its own process (so one's warm-up,
caches and garbage never colour another's figures) and prints its own table;
the machine load before and after each is printed too, because the figures
only mean something next to it. `--quick` passes `--quick` to the scripts
that take it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (script, extra args, accepts --quick)
SCRIPTS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("eval_classifier.py", (), False),
    ("bench_classifier.py", (), False),
    ("bench_routing.py", (), False),
    ("bench_adapters.py", (), False),
    ("bench_server.py", (), True),
    ("bench_audit.py", (), False),
    ("bench_gui.py", (), False),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs where supported")
    parser.add_argument("--only", default="", help="comma-separated script names to run")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    failed = []
    for script, extra, quick_ok in SCRIPTS:
        if only and script not in only and script.removesuffix(".py") not in only:
            continue
        cmd = [sys.executable, str(HERE / script), *extra]
        if args.quick and quick_ok:
            cmd.append("--quick")
        load = os.getloadavg()[0]
        print(f"\n=== {script} (load {load:.2f}) ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"=== {script}: exit {rc}, {time.perf_counter() - t0:.0f} s ===", flush=True)
        if rc != 0:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
