"""training/fit.py: the evaluation maths, calibration and a deterministic fit on a tiny corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))
import fit

from routerdesk.core.classify_features import feature_names, read_request
from routerdesk.core.types import TASKS


def test_apgr_rewards_routing_the_hard_prompts_first() -> None:
    rng = np.random.default_rng(1)
    hard = rng.random(400) < 0.4
    weak = (~hard).astype(float)  # the weak model fails exactly the hard ones
    strong = np.ones(400)
    assert fit.apgr(hard.astype(float), weak, strong) > 0.75  # an oracle signal
    assert fit.apgr(-hard.astype(float), weak, strong) < 0.25  # the opposite signal
    assert fit.apgr(rng.random(400), weak, strong) == pytest.approx(0.5, abs=0.06)  # random
    assert np.isnan(fit.apgr(rng.random(10), np.ones(10), np.ones(10)))  # no gap to recover


def test_temperature_recovers_the_one_that_made_the_probabilities() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 3, size=(4_000, 8))
    p = fit.softmax(logits / 2.0)
    y = np.array([rng.choice(8, p=row) for row in p])
    assert fit.fit_temperature(logits, y) == pytest.approx(2.0, rel=0.1)


def test_platt_scaling_fits_soft_targets() -> None:
    z = np.linspace(-4, 4, 2_000)
    target = 1 / (1 + np.exp(-(0.5 * z - 1.0)))
    a, b = fit.fit_platt(z, target)
    assert a == pytest.approx(0.5, abs=0.01) and b == pytest.approx(-1.0, abs=0.01)


def test_row_weights_balance_sources_within_a_task_and_tasks_overall() -> None:
    y = np.array([0, 0, 0, 0, 1, 1])
    sources = np.array(["a", "a", "a", "b", "a", "b"])
    w = fit.row_weights(y, sources, alpha=1.0)
    assert w[:3].sum() == pytest.approx(w[3])  # source a's three rows weigh what b's one does
    assert w[y == 0].sum() == pytest.approx(w[y == 1].sum())  # and every task weighs the same


def test_a_cell_of_a_few_rows_weighs_less_than_a_dataset_with_a_floor() -> None:
    # task 0: source a has 200 rows, source b two (say, two sums among chat openers)
    y = np.zeros(202, dtype=int)
    sources = np.array(["a"] * 200 + ["b"] * 2)
    plain = fit.row_weights(y, sources, alpha=1.0)
    assert plain[200:].sum() == pytest.approx(plain[:200].sum())  # no floor: equal halves
    floored = fit.row_weights(y, sources, alpha=1.0, floor=100)
    # b's two rows count as if its cell had 100: 2/100 of a's weight, not all of it
    assert floored[200:].sum() == pytest.approx(floored[:200].sum() * 2 / 100)


def _tiny_corpus() -> fit.Corpus:
    prompts = {
        "translation": ["Translate to French: {}", "Übersetze ins Englische: {}"],
        "summarization": ["Summarize this: {}", "TL;DR of the following: {}"],
        "code_generation": ["Write a Python function that {}", "Fix the bug in this code: {}"],
    }
    rows, feats, y, sources = [], [], [], []
    for t, forms in prompts.items():
        for i in range(30):
            text = forms[i % 2].format(f"item number {i} about the weather and trains")
            row = {"prompt": text, "task": t, "source": f"s{i % 3}", "difficulty": 0.2 + 0.01 * i}
            rows.append(row)
            feats.append(feature_names(read_request(fit.to_request(row))))
            y.append(TASKS.index(t))
            sources.append(row["source"])
    diff = np.array([r["difficulty"] for r in rows])
    return fit.Corpus(rows, feats, np.array(y), diff, np.array(sources), "test")


def test_fit_is_deterministic_and_learns_the_tasks() -> None:
    c = _tiny_corpus()
    mask = np.ones(len(c.rows), dtype=bool)
    settings = dict(fit.SETTINGS, min_df=1, max_iter=200)
    a = fit.fit(c, mask, settings)
    b = fit.fit(c, mask, settings)
    assert a.vocab == b.vocab and np.array_equal(a.W, b.W) and np.array_equal(a.wc, b.wc)
    logits, comp = fit.scores(a, c.feats)
    assert fit.macro_accuracy(c.y, logits.argmax(axis=1)) == 1.0
    assert logits.shape == (len(c.rows), len(TASKS)) and comp.shape == (len(c.rows),)


def test_leave_one_source_out_scores_every_row_with_a_model_that_never_saw_it() -> None:
    c = _tiny_corpus()
    settings = dict(fit.SETTINGS, min_df=1, max_iter=200)
    logits, comp = fit.leave_one_source_out(c, settings)
    assert np.isfinite(comp).all()
    assert np.isfinite(logits[:, [TASKS.index(t) for t in ("translation", "summarization")]]).all()
    assert fit.macro_accuracy(c.y, logits.argmax(axis=1)) > 0.8  # the same templates recur


def test_macro_accuracy_can_leave_out_tasks_with_too_few_rows() -> None:
    y = np.array([0] * 30 + [1] * 30 + [2] * 2)
    pred = np.array([0] * 30 + [1] * 15 + [0] * 15 + [0] * 2)  # task 2's two rows missed
    assert fit.macro_accuracy(y, pred) == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    assert fit.macro_accuracy(y, pred, min_rows=20) == pytest.approx((1.0 + 0.5) / 2)
    assert fit.macro_accuracy(y[-2:], pred[-2:], min_rows=20) == 0.0  # none has 20: all count
