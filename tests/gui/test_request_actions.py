"""Requests page actions: a copied curl and an exported CSV carry no key, not even one a
provider echoed into an error (the rows come live from the engine, not the scrubbed log)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gui.helpers import record
from routerdesk.core.redact import REDACTED, remember
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.pages.request_actions import curl_for, write_csv

pytestmark = pytest.mark.gui

KEY = "Gh7Jk2Lm9Np4Qr6St1Uv8Wx3Yz5Ab0Cd2"  # prefix-less: only removal by value finds it


def test_csv_and_curl_leave_out_remembered_keys(tmp_path: Path) -> None:
    remember(KEY)
    rec = record(status="error")
    rec.error = f"upstream said: invalid key {KEY}"
    rec.preview = f"why does {KEY} fail?"
    r = RequestRow(rec)
    out = tmp_path / "rows.csv"
    assert write_csv([r], out) == 1
    with out.open() as f:
        (written,) = list(csv.DictReader(f))
    assert written["error"] == f"upstream said: invalid key {REDACTED}"
    assert KEY not in out.read_text()
    curl = curl_for(r, "http://127.0.0.1:8765")
    assert KEY not in curl and f"why does {REDACTED} fail?" in curl
