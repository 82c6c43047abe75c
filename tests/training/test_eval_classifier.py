"""benchmarks/eval_classifier.py: bad --settings are refused before any work."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import eval_classifier


def test_a_misspelt_settings_key_is_refused_with_the_known_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        eval_classifier.main(["--settings", '{"task_c": 0.05}'])  # task_C
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unknown keys ['task_c']" in err and "'task_C'" in err
