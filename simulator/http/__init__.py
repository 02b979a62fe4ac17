"""The fake OK Capsule server as an ASGI app: the provider's `/v2` API and the `/_sim` API."""

# Layering: `_errors`, `_body`, `_query`, `_auth`, `_ratelimit` and `_journal` are leaves;
# `_fault_rules` is the fault rules as data, `_fault_injector` keeps and draws them (a seed and a
# clock), `_faults` turns one that strikes into an ASGI answer, delay or drop; `_endpoints` turns a
# declared `Operation` into a route; `_routes_v2` and `_routes_control` declare the operations;
# `_openapi` documents them; `_middleware` frames every request (and meets its fault); `_app`
# assembles it all around a `Simulator`.

from __future__ import annotations

from simulator.http._app import create_app, openapi_document
from simulator.http._fault_injector import FaultInjector
from simulator.http._fault_rules import Fault

__all__ = ["Fault", "FaultInjector", "create_app", "openapi_document"]
