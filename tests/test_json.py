"""JSON text for the store: orjson, with the standard library behind it."""

from __future__ import annotations

import json

import pytest

from simulator import _json


class TestDumps:
    """`_json.dumps`."""

    def test_compact_text_that_reads_back_equal(self) -> None:
        """Documents encode compactly, UTF-8 kept, and decode to equal values."""
        doc = {"name": "Zoë", "total": 19.55, "lines": [{"n": 1, "ok": True, "x": None}]}
        text = _json.dumps(doc)
        assert " " not in text.replace("Zoë", "")
        assert "Zoë" in text
        assert json.loads(text) == doc
        assert _json.loads(text) == doc

    def test_what_orjson_refuses_takes_the_standard_path(self) -> None:
        """An integer beyond 64 bits is written and read back, not refused."""
        doc = {"big": 10**30, "keys": {1: "one"}}
        text = _json.dumps(doc)
        assert _json.loads(text) == {"big": 10**30, "keys": {"1": "one"}}

    def test_what_neither_can_encode_is_a_type_error(self) -> None:
        """A set is not JSON."""
        with pytest.raises(TypeError):
            _json.dumps({"s": {1, 2}})

    def test_bad_text_is_a_value_error(self) -> None:
        """Text that is not JSON is refused."""
        with pytest.raises(ValueError):
            _json.loads("{not json")
