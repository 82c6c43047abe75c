"""Train the shipped L1 weights from the corpus: `make train` (needs the `train` extra).

    python training/train.py [--corpus training/data/corpus.jsonl.gz]

1. leave-one-source-out: for every source, fit on the others and score it. These
   out-of-source scores calibrate the models (temperature for the task
   probabilities, Platt scaling for complexity), so a confidence of 0.7 means what
   it would mean on prompts from a source never seen, and they are kept in
   training/data/loso.npz for benchmarks/eval_classifier.py;
2. fit both models on every row;
3. write src/routerdesk/resources/classifier.bin with the corpus hash and settings.

Deterministic: the same corpus gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fit

from routerdesk.core.classify_model import write_weights
from routerdesk.core.types import TASKS

WEIGHTS = fit.ROOT / "src" / "routerdesk" / "resources" / "classifier.bin"
LOSO = fit.ROOT / "training" / "data" / "loso.npz"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=fit.CORPUS)
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"{args.corpus}: no corpus; build it first: python training/build_corpus.py "
              "--mirrors DIR (see training/SOURCES.md)", file=sys.stderr)  # fmt: skip
        return 2
    c = fit.load_corpus(args.corpus)
    lock = json.loads(fit.LOCK.read_text(encoding="utf-8"))
    if lock["sha256"] != c.sha256:
        print(f"warning: corpus hash {c.sha256} differs from {fit.LOCK}", file=sys.stderr)
    print(
        f"{len(c.rows)} rows from {len(set(c.sources.tolist()))} sources; leave-one-source-out..."
    )
    logits, comp = fit.leave_one_source_out(c)
    np.savez_compressed(LOSO, logits=logits, comp=comp, sha256=np.array(c.sha256))
    temperature = fit.fit_temperature(logits, c.y)
    known = ~np.isnan(c.difficulty)
    platt = fit.fit_platt(comp[known], c.difficulty[known])
    pred = logits.argmax(axis=1)
    per_source = {
        s: round(
            fit.macro_accuracy(c.y[c.sources == s], pred[c.sources == s], fit.MIN_TASK_ROWS), 4
        )
        for s in sorted(set(c.sources.tolist()))
    }
    print(
        "out-of-source macro accuracy:", per_source, "T =", round(temperature, 3), "platt =", platt
    )
    final = fit.fit(c, np.ones(len(c.rows), dtype=bool))
    assert final.task_ids == list(range(len(TASKS)))
    meta = {
        "tasks": list(TASKS),
        "corpus_sha256": c.sha256,
        "rows": len(c.rows),
        "settings": fit.SETTINGS,
        "loso_macro_by_source": per_source,
        "temperature": temperature,
        "platt": list(platt),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "meta": meta,
        "bias": [float(v) for v in final.b],
        "complexity_bias": float(final.bc),
        "temperature": temperature,
        "platt": list(platt),
        "features": len(final.vocab),
    }
    rows = np.hstack([final.W, final.wc[:, None]]).astype(np.float32).tolist()
    write_weights(args.out, header, final.vocab, rows)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(final.vocab)} features)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
