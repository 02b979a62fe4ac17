"""The seeded product catalogue each client sees; product ids work as `client_product_id`."""

from __future__ import annotations

import functools
import hashlib
import types
from typing import TYPE_CHECKING, Any

from simulator._collections import Collection, Field, Kind
from simulator._errors import NotFound
from simulator._ids import stable_uuid
from simulator._presence import Rule, crm_reference, filled, left_out
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
_CATEGORIES = {
    "VD3-2000": "Vitamins",
    "OM3-1000": "Fatty Acids",
    "MAG-GLY": "Minerals",
    "B12-MTH": "Vitamins",
    "ZNC-15": "Minerals",
    "VC-500": "Vitamins",
    "PRB-10": "Probiotics",
    "ASH-600": "Botanicals",
    "FE-18": "Minerals",
    "CAL-600": "Minerals",
    "MLT-3": "Sleep",
    "MV-DAILY": "Multivitamins",
}
"""Each product's `okc_product.supplement_category`."""
PRODUCT_FAMILY = "Supplement - Standard"
"""Every catalogue product's `okc_product.product_family`."""
_UPC_PREFIX = "850"
"""A GS1 US company prefix: the catalogue's UPCs read as one brand's."""

RULE = Rule(
    "Product",
    (
        filled(
            "client_upc",
            "a 12-digit UPC-A with its check digit",
            "made from the SKU, so each product has a stable, valid code to filter by",
            lambda doc: upc(doc["client_sku"]),
        ),
        filled(
            "crm_id",
            "`01t` + 15 characters from the id",
            "OKC's CRM product record: a Salesforce-style id derived from the product's id",
            lambda doc: crm_reference("01t", doc["id"]),
        ),
        *(
            left_out(name, "the simulated catalogue has no such text")
            for name in (
                "long_description",
                "short_description",
                "key_points",
                "custom_text_1",
                "custom_text_2",
                "custom_text_3",
            )
        ),
        *(
            left_out(name, "the simulated catalogue has no such record")
            for name in ("sfp_version", "packaging_asset_group_id", "protocol_id")
        ),
    ),
)
"""The product's null rule (`price_per_unit` and `okc_product` are nullable, but always set)."""

COLLECTION = Collection(
    "products",
    "product",
    (
        Field("client_custom_product_id", searched=True),
        Field("client_sku", searched=True),
        Field("client_upc"),
        Field("name", searched=True),
        Field("active", Kind.BOOLEAN),
        Field("product_name", sortable=True, searched=True),
        Field("product_assembly_type"),
        Field("crm_id"),
        Field("okcProduct.product_family", path=("okc_product", "product_family")),
    ),
)
"""How `GET /v2/products` filters, searches and sorts: the provider's fields, exactly."""


def upc(sku: str) -> str:
    """A UPC-A code for a SKU: the prefix, eight digits from the SKU, and the check digit."""
    digits = _UPC_PREFIX + f"{int(hashlib.sha256(sku.encode()).hexdigest(), 16) % 10**8:08d}"
    odd = sum(int(digit) for digit in digits[0::2])
    even = sum(int(digit) for digit in digits[1::2])
    return digits + str((10 - (odd * 3 + even) % 10) % 10)


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
        RULE.apply(
            {
                "id": product_id(seed, client_id, sku),
                "client_id": client_id,
                "okc_product_id": stable_uuid("okc-product", sku),
                "product_line_id": stable_uuid(seed, client_id, "product-line"),
                "client_custom_product_id": sku,
                "client_sku": sku,
                "client_upc": None,
                "crm_id": None,
                "name": name,
                "product_name": name[:27],
                "active": True,
                "price_per_pill": price,
                "price_per_unit": price,
                "serving_size": serving,
                "time_of_administration": toa,
                "product_assembly_type": "PRODUCT",
                "is_standalone_kit": False,
                "okc_product": {
                    "id": stable_uuid("okc-product", sku),
                    "product_family": PRODUCT_FAMILY,
                    "supplement_category": _CATEGORIES[sku],
                },
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        for sku, name, toa, serving, price in _CATALOGUE
    ]


def as_of(seed: int, client_id: str) -> list[tuple[int, dict[str, Any]]]:
    """The client's catalogue as a listing reads it: `(number, product)`; it never changes."""
    return list(enumerate(products(seed, client_id), start=1))


def get(seed: int, client_id: str, product: str) -> dict[str, Any]:
    """One of the client's products, by id.

    Raises:
        NotFound: the client has no such product.
    """
    for doc in products(seed, client_id):
        if doc["id"] == product:
            return doc
    raise NotFound(f"No product with id '{product}'.")


@functools.lru_cache(maxsize=64)
def prices(seed: int, client_id: str) -> Mapping[str, float]:
    """Price per pill by product id, for order totals (computed once per client)."""
    return types.MappingProxyType(
        {product_id(seed, client_id, sku): price for sku, _n, _t, _s, price in _CATALOGUE}
    )
