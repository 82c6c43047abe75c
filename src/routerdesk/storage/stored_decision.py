"""A routing decision as the usage log stores it: one JSON object, column by column.

`candidates_summary` (storage/usage.py) is what readers get: one dict per kept
candidate, the dropped ones grouped by reason. Stored that way, each kept
candidate's cost (different in every row) interrupts text that is otherwise
the same as in an earlier row, so deflate pays a new back-reference for every
candidate (~510 bytes per row on mixed traffic). Stored column by column (the ids, the scores, the reasons: long runs
identical to an earlier row of the same task, matched in a few bytes) with the
estimated costs last, and with the decision's ``why`` and fallbacks in the same
object (they repeat the primary's and fallbacks' reasons and ids), a row's
whole decision deflates to ~365 bytes, where the candidates alone took ~510 and
the why and fallbacks ~175 more as plain text (`benchmarks/bench_usage.py`).

Nothing is rounded or left out: `unpack` gives back the very lists, strings
and floats `candidates_summary`, ``Decision.why`` and ``Decision.fallbacks``
held, so the Requests page, exports and `routerdesk replay` read what was
routed. Rows written before this layout (a JSON list in ``candidates``, the why
and fallbacks in their own columns) are read as they are: a stored object
always starts with `LAYOUT`, a list with ``[``.
"""

from __future__ import annotations

import json
from itertools import compress, filterfalse
from operator import itemgetter
from typing import Any

from routerdesk.core import fastjson
from routerdesk.core.types import Decision

LAYOUT = '{"v":2,'  # how every packed decision starts (a list is the layout before it)

_KEPT = itemgetter(1)  # Candidate.kept


def pack(d: Decision) -> str:
    """The decision's candidates, why and fallbacks as one JSON object for the ``candidates``
    column. Key order matters for deflate: what repeats from row to row comes first."""
    cands = d.candidates
    kept = list(compress(cands, map(_KEPT, cands)))
    ids, reasons, scores, costs = (list(map(itemgetter(i), kept)) for i in (0, 2, 3, 4))
    dropped: dict[str, list[str]] = {}
    for c in filterfalse(_KEPT, cands):
        dropped.setdefault(c.reason, []).append(c.model_id)
    return fastjson.dumps_str(
        {
            "v": 2,
            "ids": ids,
            "scores": scores,
            "reasons": reasons,
            "dropped": [[reason, ", ".join(m), len(m)] for reason, m in dropped.items()],
            "why": d.why,
            "fallbacks": d.fallbacks,
            "costs": costs,
        }
    )


def unpack(text: str) -> dict[str, Any]:
    """The columns a packed decision stands for, decoded as readers see them:
    ``candidates`` (`candidates_summary`'s list), ``decision_why``, ``decision_fallbacks``."""
    obj = json.loads(text)
    ids, reasons, scores, costs = obj["ids"], obj["reasons"], obj["scores"], obj["costs"]
    # same keys in the same order as candidates_summary's dicts
    candidates: list[dict[str, Any]] = [
        {"model_id": m, "kept": True, "reason": r, "score": s, "est_cost": c}
        for m, r, s, c in zip(ids, reasons, scores, costs, strict=True)
    ]
    candidates.extend(
        {"model_id": m, "kept": False, "reason": r, "count": n} for r, m, n in obj["dropped"]
    )
    return {
        "candidates": candidates,
        "decision_why": obj["why"],
        "decision_fallbacks": obj["fallbacks"],
    }
