"""Tests for reading query strings: declared parameters and the `filter[...]` bracket syntax."""

from __future__ import annotations

import pytest

from simulator.http._errors import ApiError
from simulator.http._query import Param, order_filter_params, order_filters, read_query

DECLARED = (Param("limit", "page size"), Param("tag", "a tag", repeatable=True))


class TestReadQuery:
    """`read_query`."""

    def test_groups_values(self) -> None:
        """Values are grouped by name in the order given."""
        query = read_query([("tag", "a"), ("limit", "5"), ("tag", "b")], DECLARED)
        assert query == {"tag": ["a", "b"], "limit": ["5"]}

    def test_names_every_unknown_parameter(self) -> None:
        """All unknown names appear in the one message, once each."""
        with pytest.raises(ApiError, match=r"'x', 'y'; this route takes: limit, tag") as error:
            read_query([("x", "1"), ("y", "2"), ("x", "3")], DECLARED)
        assert error.value.status == 400

    def test_required(self) -> None:
        """A missing required parameter is named."""
        with pytest.raises(ApiError, match="'id' is required"):
            read_query([], [Param("id", "the id", required=True)])


class TestOrderFilters:
    """`order_filters` builds the engine's filter mapping."""

    def test_equality_and_ranges(self) -> None:
        """Equality values split on commas; range operators nest under their field."""
        query = {
            "filter[status]": ["Pending,On Hold", "Accepted"],
            "filter[created_at][gte]": ["2026-03-01T00:00:00Z"],
            "filter[created_at][lt]": ["2026-04-01T00:00:00Z"],
            "limit": ["5"],
        }
        assert order_filters(query) == {
            "status": ["Pending", "On Hold", "Accepted"],
            "created_at": {"gte": "2026-03-01T00:00:00Z", "lt": "2026-04-01T00:00:00Z"},
        }

    def test_declared_filters(self) -> None:
        """The list and count routes declare four equality and eight range filters."""
        names = [param.name for param in order_filter_params()]
        assert names[:4] == [
            "filter[status]",
            "filter[name]",
            "filter[source]",
            "filter[client_custom_order_id]",
        ]
        assert "filter[updated_at][lte]" in names
        assert {"filter[state]", "filter[billing_status]", "filter[crm_id]"} <= set(names)
        assert "filter[submission_date][gte]" in names
        assert len(names) == 19
