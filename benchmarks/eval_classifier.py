"""Evaluate the L1 classifier honestly: leave-one-source-out on the training corpus.

    .venv/bin/python benchmarks/eval_classifier.py [--recompute] [--json] [--settings JSON]

Needs the corpus (`make corpus`) and the `train` extra. The headline is the mean,
over sources, of the macro accuracy on a source when the model was trained on all
the others (out-of-source): it is what predicts accuracy on prompts from people
and tools the corpus never saw. The in-distribution figure (the shipped model on
its own training rows) is printed last, for contrast only.

Also: per-task precision and recall and the confusion matrix (out-of-source), per
language, the calibration of the confidence (reliability bins, expected calibration
error), and for complexity as a routing signal the APGR (RouteLLM's average
performance gap recovered) on the outcome data we have: BIG-Bench-Hard items with
code-davinci-002 answering directly (weak) or reasoning first (strong), and the
project's hand-labelled low/high prompts. Out-of-source scores come from
training/data/loso.npz when train.py wrote it for this corpus (else --recompute).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

import fit

from routerdesk.core.classify import L1Classifier
from routerdesk.core.types import TASKS

LOSO = fit.ROOT / "training" / "data" / "loso.npz"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recompute", action="store_true", help="refit leave-one-source-out")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--settings",
        type=json.loads,
        default=None,
        help="refit with training/settings.json changed, e.g. '{\"task_C\": 0.05}' "
        "(group_scale entries are merged); calibration figures keep the shipped temperature",
    )
    args = ap.parse_args(argv)
    unknown = sorted(set(args.settings or {}) - set(fit.SETTINGS))
    if unknown:  # a misspelt key would refit the shipped settings under another name
        ap.error(
            f"--settings: unknown keys {unknown}; training/settings.json has {sorted(fit.SETTINGS)}"
        )
    c = fit.load_corpus()
    clf = L1Classifier()
    meta = clf.model.meta
    cached = LOSO.exists() and str(np.load(LOSO)["sha256"]) == c.sha256
    if cached and not args.recompute and args.settings is None:
        z = np.load(LOSO)
        logits, comp = z["logits"], z["comp"]
    else:
        settings = json.loads(json.dumps(fit.SETTINGS))
        for key, value in (args.settings or {}).items():
            if key == "group_scale":
                settings[key].update(value)
            else:
                settings[key] = value
        logits, comp = fit.leave_one_source_out(c, settings)
    T = float(meta["temperature"])
    a, b = meta["platt"]
    probs = fit.softmax(logits / T)
    pred = probs.argmax(axis=1)
    cx = _sigmoid(a * comp + b)
    out: dict[str, object] = {"rows": len(c.rows), "corpus_sha256": c.sha256}

    by_source = {}
    for s in sorted(set(c.sources.tolist())):
        m = c.sources == s
        by_source[s] = round(fit.macro_accuracy(c.y[m], pred[m], fit.MIN_TASK_ROWS), 3)
    public = [v for s, v in by_source.items() if not s.startswith("routerdesk")]
    out["loso_macro_by_source"] = by_source
    out["loso_macro_mean"] = round(float(np.mean(list(by_source.values()))), 3)
    out["loso_macro_mean_public_sources"] = round(float(np.mean(public)), 3)
    out["loso_macro_pooled"] = round(fit.macro_accuracy(c.y, pred), 3)

    per_task = {}
    for t, name in enumerate(TASKS):
        tp = int(((pred == t) & (c.y == t)).sum())
        per_task[name] = {
            "precision": round(tp / max(1, int((pred == t).sum())), 3),
            "recall": round(tp / max(1, int((c.y == t).sum())), 3),
            "n": int((c.y == t).sum()),
        }
    out["loso_per_task"] = per_task
    confusion = {
        TASKS[t]: {TASKS[p]: int(((c.y == t) & (pred == p)).sum()) for p in range(len(TASKS))}
        for t in range(len(TASKS))
    }
    out["confusion"] = confusion
    langs: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(c.rows):
        langs[r["lang"]].append(i)
    out["loso_accuracy_by_lang"] = {
        lang: {"n": len(ix), "accuracy": round(float((pred[ix] == c.y[ix]).mean()), 3)}
        for lang, ix in sorted(langs.items(), key=lambda kv: -len(kv[1]))
        if len(ix) >= 30
    }

    conf = probs.max(axis=1)
    right = pred == c.y
    bins = np.linspace(0, 1, 11)
    curve, ece = [], 0.0
    for lo, hi in pairwise(bins):
        m = (conf >= lo) & (conf < hi if hi < 1 else conf <= hi)
        if m.any():
            curve.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()),
                          "confidence": round(float(conf[m].mean()), 3),
                          "accuracy": round(float(right[m].mean()), 3)})  # fmt: skip
            ece += m.mean() * abs(conf[m].mean() - right[m].mean())
    out["calibration"] = {"temperature": T, "ece": round(float(ece), 4), "reliability": curve}

    bbh = np.array([r["source"] == "bbh" and "outcome" in r for r in c.rows])
    comp_out: dict[str, object] = {}
    if bbh.any():
        weak = np.array([r["outcome"]["weak"] for r in c.rows if r["source"] == "bbh"], float)
        strong = np.array([r["outcome"]["strong"] for r in c.rows if r["source"] == "bbh"], float)
        comp_out["apgr_bbh_code_davinci_direct_vs_cot"] = round(fit.apgr(cx[bbh], weak, strong), 3)
        comp_out["apgr_bbh_by_length_only"] = round(
            fit.apgr(np.array([len(json.dumps(r["messages"])) for r in c.rows if r["source"] == "bbh"], float),
                     weak, strong), 3)  # fmt: skip
        comp_out["bbh_items"] = int(bbh.sum())
    hand = np.array([r["source"] == "routerdesk-handwritten" for r in c.rows])
    level = np.array([r.get("difficulty_kind", "") for r in c.rows])
    hi_lo = hand & np.isin(level, ["hand label (low)", "hand label (high)"])
    if hi_lo.any():
        is_high = (level[hi_lo] == "hand label (high)").astype(float)
        comp_out["apgr_handwritten_low_high"] = round(
            fit.apgr(cx[hi_lo], 1 - is_high, np.ones_like(is_high)), 3
        )
        hs, ls = cx[hi_lo][is_high == 1], cx[hi_lo][is_high == 0]
        comp_out["auc_handwritten_high_vs_low"] = round(
            float((hs[:, None] > ls[None, :]).mean() + 0.5 * (hs[:, None] == ls[None, :]).mean()), 3
        )
    by_task_mean = {TASKS[t]: round(float(cx[c.y == t].mean()), 3) for t in range(len(TASKS))}
    comp_out["mean_complexity_by_task"] = by_task_mean
    out["complexity"] = comp_out

    in_dist = np.array([TASKS.index(clf.classify(fit.to_request(r)).task) for r in c.rows])
    out["in_distribution_macro_do_not_quote"] = round(fit.macro_accuracy(c.y, in_dist), 3)

    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    print(f"corpus {c.sha256[:12]}, {len(c.rows)} rows")
    print(f"HEADLINE leave-one-source-out macro accuracy, mean over sources: {out['loso_macro_mean']}"
          f" (public sources only: {out['loso_macro_mean_public_sources']}; pooled: {out['loso_macro_pooled']})")  # fmt: skip
    for s, v in by_source.items():
        print(f"  held out {s:24s} macro {v:.3f}")
    print("per task (out-of-source):")
    for name, d in per_task.items():
        print(f"  {name:18s} precision {d['precision']:.3f}  recall {d['recall']:.3f}  n={d['n']}")
    print("confusion (rows gold, columns predicted):")
    print("  " + " ".join(f"{t[:6]:>6s}" for t in TASKS))
    for t in TASKS:
        print("  " + " ".join(f"{confusion[t][p]:6d}" for p in TASKS) + f"  {t}")
    print(
        "accuracy by language:", {k: v["accuracy"] for k, v in out["loso_accuracy_by_lang"].items()}
    )  # type: ignore[attr-defined]
    print(f"calibration: T={T:.3f}, ECE={out['calibration']['ece']}")  # type: ignore[index]
    for row in curve:
        print(
            f"  conf {row['bin']}: n={row['n']:5d} mean conf {row['confidence']:.3f} accuracy {row['accuracy']:.3f}"
        )
    print("complexity:", json.dumps(comp_out))
    print(
        f"(in-distribution macro, not a prediction of anything: {out['in_distribution_macro_do_not_quote']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
