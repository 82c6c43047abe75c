"""What a user can do with requests in the table: copy an id or a curl, export the rows as CSV.

Nothing here ever writes the access token: a copied curl reads it from
``$ROUTERDESK_TOKEN``, so it can be pasted into a ticket or a chat safely. Rows
shown live come from the engine, not from the (scrubbed) usage log, so the CSV
cells and the curl's prompt go through `core.redact.scrub` as every export does.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from pathlib import Path

from routerdesk.core.redact import scrub
from routerdesk.gui.models.request_row import RequestRow

NO_PROMPT = "(prompt not stored: turn on previews in Settings to keep the first characters)"

CSV_FIELDS = (
    "request_id", "started_at", "client", "requested_model", "strategy", "task", "confidence",
    "complexity", "tier", "model_id", "provider", "fallbacks", "input_tokens", "output_tokens",
    "cost_usd", "baseline_cost_usd", "latency_ms", "status", "status_code", "error", "demo",
    "person",
)  # fmt: skip


def curl_for(row: RequestRow, base: str) -> str:
    """The request again as a curl command: same model field, the stored preview as the prompt."""
    anthropic = (row.client or "").lower().startswith(("anthropic", "claude"))
    prompt = scrub(row.preview) or NO_PROMPT
    message = json.dumps([{"role": "user", "content": prompt}], ensure_ascii=False)
    model = json.dumps(row.requested_model or "auto")
    if anthropic:
        body = f'{{"model": {model}, "max_tokens": 1024, "messages": {message}}}'
        head = [
            f"curl {base}/v1/messages",
            '-H "x-api-key: $ROUTERDESK_TOKEN"',
            '-H "anthropic-version: 2023-06-01"',
        ]
    else:
        body = f'{{"model": {model}, "messages": {message}}}'
        head = [f"curl {base}/v1/chat/completions", '-H "Authorization: Bearer $ROUTERDESK_TOKEN"']
    body = body.replace("'", "'\\''")  # inside single quotes for the shell
    return " \\\n  ".join([*head, '-H "Content-Type: application/json"', f"-d '{body}'"])


def csv_row(r: RequestRow) -> list[str | int | float]:
    return [
        r.request_id,
        time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(r.started_at)),
        r.client,
        r.requested_model,
        r.strategy,
        r.task,
        round(r.confidence, 4),
        round(r.complexity, 4),
        r.tier,
        r.model_id,
        r.provider,
        " > ".join(h[0] for h in r.hops),
        r.input_tokens,
        r.output_tokens,
        r.cost,
        r.baseline_cost,
        round(r.latency_ms, 1),
        r.status,
        r.status_code if r.status_code is not None else "",
        r.error,
        int(r.demo),
        r.person,
    ]


def write_csv(rows: Iterable[RequestRow], path: Path) -> int:
    """Write `rows` (in the order given) to `path`; returns how many. Raises OSError."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for r in rows:
            writer.writerow([scrub(v) if isinstance(v, str) else v for v in csv_row(r)])
            n += 1
    return n
