"""fastjson: orjson's speed, the standard library's reach; nothing a client sends is altered."""

from __future__ import annotations

import json

from routerdesk.core import fastjson


def test_output_is_compact_utf8_and_round_trips() -> None:
    value = {"a": [1, 2.5, None, True], "text": 'café 漢字 \n "quoted"', "nested": {"x": {}}}
    out = fastjson.dumps(value)
    assert out == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(out) == value
    assert fastjson.dumps_str(value) == out.decode()


def test_values_orjson_refuses_fall_back_to_the_standard_library() -> None:
    big = {"maximum": 123456789012345678901234567890}  # beyond 64 bits: kept exactly
    assert json.loads(fastjson.dumps(big)) == big
    assert json.loads(fastjson.dumps_str(big)) == big
    int_keys = {1: "one"}
    assert fastjson.dumps(int_keys) == b'{"1":"one"}'
