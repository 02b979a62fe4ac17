"""The seeded product catalogue each client sees; product ids work as `client_product_id`."""

from __future__ import annotations

import functools
import types
from typing import TYPE_CHECKING, Any

from simulator._ids import stable_uuid
from simulator._timefmt import iso

if TYPE_CHECKING:
    from collections.abc import Mapping

# (sku, name, time of administration, serving size, price per pill in USD)
_CATALOGUE: tuple[tuple[str, str, str, int, float], ...] = (
    ("VD3-2000", "Vitamin D3 2000 IU", "Morning", 1, 0.06),
    ("OM3-1000", "Omega-3 Fish Oil 1000 mg", "Morning", 2, 0.11),
    ("MAG-GLY", "Magnesium Glycinate 200 mg", "Evening", 2, 0.09),
    ("B12-MTH", "Vitamin B12 Methylcobalamin", "Morning", 1, 0.05),
    ("ZNC-15", "Zinc Picolinate 15 mg", "Midday", 1, 0.04),
    ("VC-500", "Vitamin C 500 mg", "Midday", 1, 0.05),
    ("PRB-10", "Probiotic 10 Billion CFU", "Morning", 1, 0.18),
    ("ASH-600", "Ashwagandha 600 mg", "Evening", 1, 0.12),
    ("FE-18", "Iron Bisglycinate 18 mg", "Midday", 1, 0.05),
    ("CAL-600", "Calcium Citrate 600 mg", "Evening", 2, 0.07),
    ("MLT-3", "Melatonin 3 mg", "Evening", 1, 0.03),
    ("MV-DAILY", "Daily Multivitamin", "Morning", 2, 0.10),
)

CATALOGUE_CREATED_AT = 1_767_225_600_000_000
"""2026-01-01T00:00:00Z: products exist before any simulated order."""


@functools.lru_cache(maxsize=4096)
def product_id(seed: int, client_id: str, sku: str) -> str:
    """The id of one catalogue product for one client (cached: every create prices its lines)."""
    return stable_uuid(seed, client_id, "product", sku)


def products(seed: int, client_id: str) -> list[dict[str, Any]]:
    """The client's catalogue in the provider's product shape, in a stable order."""
    stamp = iso(CATALOGUE_CREATED_AT)
    return [
        {
            "id": product_id(seed, client_id, sku),
            "client_id": client_id,
            "okc_product_id": stable_uuid("okc-product", sku),
            "product_line_id": stable_uuid(seed, client_id, "product-line"),
            "client_custom_product_id": sku,
            "client_sku": sku,
            "client_upc": None,
            "name": name,
            "product_name": name[:27],
            "active": True,
            "price_per_pill": price,
            "price_per_unit": price,
            "serving_size": serving,
            "time_of_administration": toa,
            "product_assembly_type": "PRODUCT",
            "is_standalone_kit": False,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for sku, name, toa, serving, price in _CATALOGUE
    ]


@functools.lru_cache(maxsize=64)
def prices(seed: int, client_id: str) -> Mapping[str, float]:
    """Price per pill by product id, for order totals (computed once per client)."""
    return types.MappingProxyType(
        {product_id(seed, client_id, sku): price for sku, _n, _t, _s, price in _CATALOGUE}
    )
