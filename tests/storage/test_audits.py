"""The audit store: a real SQLite file apart from the usage log; round trips, demo apart, pruning."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from routerdesk.core.audit import AuditResult
from routerdesk.storage.audits import AuditStore

RESULT = AuditResult(
    request_id="rd-1",
    started_at=1000.0,
    demo=False,
    task="code_generation",
    routed_model="mini",
    baseline_model="big",
    judge_model="judge",
    verdict="worse",
    first="worse",
    second="as_good",
    reason="A misses the edge case.",
    reason_swapped="Both are fine.",
    routed_answer="def f(): pass  # ünïcode",
    baseline_answer="def f():\n    return 1",
    cost=0.0123,
)


def test_round_trip_and_lookups(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "audits.sqlite3")
    store.add(RESULT)
    store.add(replace(RESULT, request_id="rd-2", verdict=None, first=None, error="judge: refused"))
    store.add(replace(RESULT, request_id="rd-3", demo=True))
    store.close()
    store = AuditStore(tmp_path / "audits.sqlite3")  # reopened: the rows are on disk
    assert store.get("rd-1") == RESULT
    assert store.get("nope") is None
    assert [r.request_id for r in store.results()] == ["rd-1", "rd-2"]
    assert [r.request_id for r in store.results(demo=True)] == ["rd-3"]
    judged = store.judged()
    assert [(j.model_id, j.verdict, j.cost) for j in judged] == [
        ("mini", "worse", 0.0123), ("mini", "", 0.0123),
    ]  # fmt: skip
    assert store.audited_ids(["rd-1", "rd-9", "rd-3"]) == {"rd-1", "rd-3"}
    assert store.audited_ids([]) == set()
    store.close()


def test_prune_and_dismissals(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "audits.sqlite3")
    now = time.time()
    store.add(replace(RESULT, started_at=now - 100 * 86400))
    store.add(replace(RESULT, request_id="rd-new", started_at=now))
    assert store.prune(90, now=now) == 1
    assert [r.request_id for r in store.results()] == ["rd-new"]
    store.dismiss("mini|code_generation|4->3")
    store.dismiss("mini|code_generation|4->3")
    assert store.dismissed() == {"mini|code_generation|4->3"}
    store.close()
