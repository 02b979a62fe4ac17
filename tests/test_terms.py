"""Tests for `simulator._terms`: the one reader of every list's `q`, `sort_by` and ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator._errors import BadRequest, NotFound
from simulator._listing import EQUALITY_FILTERS, SEARCHED, SORTABLE
from simulator._terms import (
    MAX_Q_CHARS,
    check_client_q,
    fold,
    in_range,
    read_q,
    read_ranges,
    read_sort,
    read_values,
    sort_values,
)

OWN = "own-client"


def _orders_q(text: str | None) -> object:
    return read_q(text, EQUALITY_FILTERS, searched=SEARCHED, noun="orders", client_id=OWN)


class TestQ:
    """One `q` grammar: field terms, quoted values, words and phrases, `client_id`."""

    def test_field_terms(self) -> None:
        """Quoted values, AND between terms, and a field given twice (either value) are read."""
        found = read_q('status:"On Hold" AND name:OR-1 name:OR-2', EQUALITY_FILTERS, noun="orders")
        assert found.values() == {"name": ["OR-1", "OR-2"], "status": ["On Hold"]}
        assert found.words == ()

    def test_words_and_phrases_are_folded(self) -> None:
        """A bare word and a quoted phrase are kept, in lower case, for a contains search."""
        found = read_q('Vitamin "C Complex"', ("name",), searched=("name",), noun="products")
        assert found.words == ("vitamin", "c complex")
        assert found.found_in(["Vitamin C Complex 500"])
        assert not found.found_in(["Vitamin D"])

    def test_a_quote_ends_a_word(self) -> None:
        """A quote next to a word starts a new term, as a space does."""
        found = read_q('vitamin"c complex"', ("name",), searched=("name",), noun="products")
        assert found.words == ("vitamin", "c complex")

    def test_client_id_names_the_client(self) -> None:
        """`client_id:<own>` changes nothing; another client's id marks the search foreign."""
        assert not read_q(f"client_id:{OWN}", (), noun="orders", client_id=OWN).foreign
        assert read_q("client_id:someone-else", (), noun="orders", client_id=OWN).foreign

    @pytest.mark.parametrize(
        "text",
        ["AND", "status:", 'status:"open', "x:1", 'status:""', '""', "a:b"],
    )
    def test_bad_q_names_q(self, text: str) -> None:
        """Text outside the grammar, an unknown field or an empty term is refused naming q."""
        with pytest.raises(BadRequest) as caught:
            _orders_q(text)
        assert caught.value.field == "q"

    @pytest.mark.parametrize("text", ["", "   ", "\t"])
    def test_blank_q_is_no_q(self, text: str) -> None:
        """An empty or blank q (a client's `q=${search}` with nothing to search) lists all."""
        assert _orders_q(text) == _orders_q(None)

    def test_one_length_limit(self) -> None:
        """Every list refuses a q longer than MAX_Q_CHARS, and takes one that long."""
        _orders_q("a" * MAX_Q_CHARS)
        with pytest.raises(BadRequest, match="longer than"):
            _orders_q("a" * (MAX_Q_CHARS + 1))

    def test_words_on_a_list_without_free_text(self) -> None:
        """A bare word where a list searches no text is refused, naming the fields it takes."""
        with pytest.raises(BadRequest, match="field:value"):
            read_q("pending", ("status",), noun="this list")

    @given(st.text(max_size=60))
    def test_any_text_reads_or_names_q(self, text: str) -> None:
        """Whatever the text, q is read or refused with a 400 naming q, never anything else."""
        fields: list[str | None] = []
        try:
            _orders_q(text)
        except BadRequest as error:
            fields.append(error.field)
        assert fields in ([], ["q"])


class TestSingleResourceQ:
    """Single-resource routes take only `client_id:<id>` in `q`."""

    def test_own_client_is_accepted(self) -> None:
        """The token's own client id changes nothing."""
        check_client_q(f"client_id:{OWN}", OWN, "order")

    def test_another_client_is_not_found(self) -> None:
        """Another client's id reads as not found."""
        with pytest.raises(NotFound):
            check_client_q("client_id:other", OWN, "order")

    @pytest.mark.parametrize("text", ["status:Pending", "pending"])
    def test_anything_else_names_q(self, text: str) -> None:
        """Field terms and words are a 400 naming q."""
        with pytest.raises(BadRequest) as caught:
            check_client_q(text, OWN, "order")
        assert caught.value.field == "q"


class TestSort:
    """One `sort_by` reader: `field`, `-field`, `field:asc`, `field:desc` everywhere."""

    def test_every_documented_sort_is_accepted(self) -> None:
        """Each value the OpenAPI enum lists reads; a leading '-' or ':desc' is descending."""
        for value in sort_values(SORTABLE):
            read = read_sort(value, SORTABLE, "orders")
            assert read is not None
            assert read[1] is (value.startswith("-") or value.endswith("desc"))

    @pytest.mark.parametrize("text", ["total", "-name:desc", "name:up", ""])
    def test_bad_sort_names_sort_by(self, text: str) -> None:
        """Another field, or a direction given twice or misspelt, is refused naming sort_by."""
        with pytest.raises(BadRequest) as caught:
            read_sort(text, SORTABLE, "orders")
        assert caught.value.field == "sort_by"


class TestFilterValues:
    """Equality values and range bounds, read the same on every list."""

    def test_values_are_split_and_deduplicated(self) -> None:
        """Comma-separated or listed values are trimmed, each kept once, in order."""
        assert read_values("name", "b, a,b") == ("b", "a")

    def test_empty_value_names_the_filter(self) -> None:
        """An empty value is refused naming filter[field]."""
        with pytest.raises(BadRequest) as caught:
            read_values("name", "a,,b")
        assert caught.value.field == "filter[name]"

    def test_range_bounds(self) -> None:
        """Each operator compares as its name says."""
        ((_key, operator, bound),) = read_ranges("created_at", {"gte": "2026-03-02T17:00:00Z"})
        assert operator == "gte"
        assert in_range(bound, "gte", bound)
        assert not in_range(bound, "gt", bound)
        assert in_range(bound, "lte", bound)
        assert not in_range(bound, "lt", bound)

    def test_bad_operator_names_the_parameter(self) -> None:
        """An unknown operator is refused naming filter[field][operator]."""
        with pytest.raises(BadRequest) as caught:
            read_ranges("created_at", {"after": "2026-03-02T17:00:00Z"})
        assert caught.value.field == "filter[created_at][after]"

    def test_fold_is_ascii_only(self) -> None:
        """Words fold as SQLite's lower() does: ASCII letters only."""
        assert fold("ABC Ä") == "abc Ä"
