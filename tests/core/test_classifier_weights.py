"""The shipped classifier weights: provenance, size, calibration and explanations."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from routerdesk.core.classify import L1Classifier
from routerdesk.core.classify_features import feature_names, read_request
from routerdesk.core.classify_model import (
    WEIGHTS_FILE,
    WIDTH,
    LinearModel,
    describe,
    shipped_model,
    write_weights,
)
from routerdesk.core.types import TASKS, ChatRequest, Message, TextPart

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "training" / "corpus.lock.json"


def _weights_path() -> Path:
    ref = resources.files("routerdesk") / "resources" / WEIGHTS_FILE
    with resources.as_file(ref) as p:
        return Path(p)


def test_weights_record_the_corpus_and_settings_they_were_trained_from() -> None:
    meta = shipped_model().meta
    settings = json.loads((ROOT / "training" / "settings.json").read_text(encoding="utf-8"))
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    assert meta["corpus_sha256"] == lock["sha256"]
    assert meta["rows"] == lock["rows"]
    assert meta["settings"] == settings
    assert meta["tasks"] == list(TASKS)


def test_corpus_lock_meets_the_size_and_diversity_floor() -> None:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    assert lock["rows"] >= 20_000
    public = [s for s in lock["by_source_task"] if not s.startswith("routerdesk")]
    assert len(public) >= 6
    assert set(lock["by_task"]) == set(TASKS)
    assert min(lock["by_task"].values()) >= 1_000
    assert len([lang for lang, n in lock["by_lang"].items() if n >= 100]) >= 8


def test_weights_are_small_and_load_from_the_package() -> None:
    path = _weights_path()
    assert path.stat().st_size <= 10_000_000
    model = LinearModel(path)
    assert len(model.columns) == WIDTH
    assert all(len(col) == len(model.vocab) for col in model.columns)
    assert len(model.index) == len(model.vocab) - 1  # no duplicate names; row 0 is empty
    assert model.row(0) == [0.0] * WIDTH
    assert any(model.row(model.index["kh:translation"]))
    assert 0.05 < model.temperature < 20


def _rewrite(tmp_path: Path, **change: object) -> Path:
    model = shipped_model()
    header = {
        "meta": dict(model.meta),
        "bias": model.b,
        "complexity_bias": model.bc,
        "temperature": model.temperature,
        "platt": [model.platt_a, model.platt_b],
        "features": len(model.vocab) - 1,
    }
    header["meta"].update(change)
    out = tmp_path / "w.bin"
    rows = [model.row(i) for i in range(1, len(model.vocab))]
    write_weights(out, header, model.vocab[1:], rows)
    return out


def test_weights_round_trip_and_other_tasks_are_refused(tmp_path: Path) -> None:
    again = LinearModel(_rewrite(tmp_path))
    names = ["w:translate", "kh:translation", "f:len2"]
    assert again.predict(names) == shipped_model().predict(names)
    with pytest.raises(ValueError, match="trained for tasks"):
        LinearModel(_rewrite(tmp_path, tasks=["a", "b"]))


def test_a_damaged_weights_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"PK\x03\x04 not ours")
    with pytest.raises(ValueError, match="not a routerdesk classifier weights file"):
        LinearModel(bad)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(_weights_path().read_bytes()[:-40])
    with pytest.raises(ValueError, match="truncated"):
        LinearModel(cut)


def test_probabilities_are_a_distribution_and_confidence_is_the_top_one() -> None:
    req = ChatRequest([Message("user", [TextPart("Translate to German: good morning")])])
    pred = shipped_model().predict(feature_names(read_request(req)))
    assert len(pred.probs) == len(TASKS)
    assert abs(sum(pred.probs) - 1.0) < 1e-9
    c = L1Classifier().classify(req)
    assert c.confidence == round(max(pred.probs), 3)
    assert c.task == TASKS[pred.probs.index(max(pred.probs))]


def test_unknown_features_fall_back_to_the_prior() -> None:
    pred = shipped_model().predict(["w:zzzz-never-seen", "f:not-a-flag"])
    assert pred.rows == []
    assert abs(sum(pred.probs) - 1.0) < 1e-9
    assert 0.0 < pred.complexity < 1.0


def test_explanations_name_the_words_that_pushed_the_decision() -> None:
    c = L1Classifier().classify(
        ChatRequest(
            [Message("user", [TextPart("Please translate this sentence into French: I am late.")])]
        )
    )
    assert c.task == "translation"
    assert any("translat" in s for s in c.signals), c.signals
    assert all("(" in s for s in c.signals)  # every pushed feature shows its weight


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("w:translate", 'word "translate"'),
        ("b:in french", 'words "in french"'),
        ("f:fenced", "fenced code"),
        ("f:len3", "len level 3"),
        ("kh:translation", "cue (instruction) translation"),
        ("KS:translation", "strong cue (system prompt) translation"),
        ("s:agent", 'system prompt "agent"'),
    ],
)
def test_feature_names_read_as_phrases(name: str, phrase: str) -> None:
    assert describe(name) == phrase


def test_explanations_rank_fired_features_by_their_push_and_by_complexity_weight() -> None:
    """`explain` (C-level ranking over the prediction's columns) names exactly the
    features a brute-force ranking over `row()` names, with the same weights."""
    model = shipped_model()
    text = "Refactor this function and explain the bug:\n```python\ndef f(x):\n    return x\n```"
    names = feature_names(read_request(ChatRequest([Message("user", [TextPart(text)])])))
    pred = model.predict(names)
    assert len(pred.rows) > 10
    task, against = 1, 4
    push = sorted(
        ((model.row(r)[task] - model.row(r)[against], r) for r in pred.rows), reverse=True
    )
    want = [f"{describe(model.vocab[r])} ({v:+.2f})" for v, r in push[:3] if v > 0]
    hard = sorted(pred.rows, key=lambda r: abs(model.row(r)[-1]), reverse=True)[:2]
    got = model.explain(pred, task, against)
    assert got[: len(want)] == want
    assert [g.split(" (")[0] for g in got[len(want) :]] == [describe(model.vocab[r]) for r in hard]
    assert model.explain(model.predict([]), task, against) == []


def test_the_shipped_weights_load_once_even_when_threads_race(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`serve` starts loading the weights on a thread while the first request may ask for
    them: every caller must get the one model, loaded once."""
    import threading

    from routerdesk.core import classify_model

    monkeypatch.setattr(classify_model, "_shipped", None)
    loads = []
    real = classify_model.LinearModel

    def counting() -> LinearModel:
        loads.append(1)
        return real()

    monkeypatch.setattr(classify_model, "LinearModel", counting)
    got: list[LinearModel] = []
    threads = [threading.Thread(target=lambda: got.append(shipped_model())) for _ in range(4)]
    classify_model.preload_shipped_model()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert len(got) == 4 and all(m is got[0] for m in got)
