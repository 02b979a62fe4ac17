"""The route table's building blocks: an operation, what its handler gets, and what it returns.

Routes and the OpenAPI document are both built from the same `Operation`s, so they agree;
`ProviderPaths` tells a path of the provider's API the simulator does not serve (501).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.http._body import read_json
from simulator.http._context import visit_of
from simulator.http._errors import BEARER_CHALLENGE, ApiError, error_response
from simulator.http._provider_paths import PROVIDER_OPERATIONS
from simulator.http._query import Param, Query, read_query

if TYPE_CHECKING:
    from starlette.requests import Request

    from simulator import Simulator
    from simulator.http._context import Server, Visit

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PARAMETER = re.compile(r"\{[^/{}]+\}")


class Auth(enum.Enum):
    """Who may call an operation."""

    NONE = "none"
    """Anyone (token requests)."""
    CLIENT = "client"
    """A client with a valid access token."""
    ADMIN = "admin"
    """The control API: anyone on loopback, else the admin token (checked by the middleware)."""


@attrs.frozen
class Call:
    """Everything a handler needs, already checked: the caller, path ids, query and body."""

    server: Server
    visit: Visit
    """The middleware's view of the request (its client); a handler notes what the journal
    should keep."""
    path: Mapping[str, str]
    query: Query
    body: object

    @property
    def client_id(self) -> str | None:
        """The client of the request's access token, if it carried a valid one."""
        return self.visit.client_id

    @property
    def sim(self) -> Simulator:
        """The simulator this app serves."""
        return self.server.sim

    @property
    def client(self) -> str:
        """The authenticated client's id (only for operations that require one)."""
        assert self.client_id is not None  # noqa: S101 - the dispatcher checked it
        return self.client_id


@attrs.frozen
class RawJson:
    """A JSON body already written out, in UTF-8: the engine splices order documents."""

    data: bytes


@attrs.frozen
class Reply:
    """A handler's answer: a status and a JSON body (None for no content)."""

    status: int
    body: object = None
    """A value to encode as JSON, or `RawJson` to send as it is."""

    def response(self) -> Response:
        """The Starlette response."""
        if self.body is None:
            return Response(status_code=self.status)
        if isinstance(self.body, RawJson):
            # The same headers JSONResponse sends: Content-Type application/json, no charset.
            return Response(self.body.data, self.status, media_type=JSONResponse.media_type)
        return JSONResponse(self.body, self.status)


Handler = Callable[[Call], Reply]
"""A plain synchronous function of the engine; it runs in a worker thread, or on the event
loop when it is `inline` and cannot wait (see `_dispatch`)."""


@attrs.frozen
class Operation:
    """One method on one path: its handler, and what the OpenAPI document says about it."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    status: int
    """The success status."""
    response: str | None
    """The component schema of the success body; None for no content."""
    auth: Auth
    body: str | None = None
    """The component schema of the JSON request body; None when the route reads none."""
    query: tuple[Param, ...] = ()
    ids: Mapping[str, str] = attrs.field(factory=dict)
    """Path parameters that must be UUIDs, and the noun a 404 names ("order")."""
    errors: tuple[int, ...] = ()
    """Error statuses particular to this operation (the common ones are implied)."""
    description: str = ""
    inline: bool = False
    """A cheap read of bounded cost (a lookup by key), served on the event loop itself
    whenever the engine is idle (`Simulator.call_if_idle`); not in the OpenAPI document."""

    @property
    def operation_id(self) -> str:
        """The handler's name, unique across the app."""
        return self.handler.__name__


@attrs.frozen
class _Template:
    """One path template of the provider's API: what it documents, what okc-sim serves."""

    path: str
    pattern: re.Pattern[str]
    documented: frozenset[str]
    served: frozenset[str]

    @property
    def specificity(self) -> tuple[bool, ...]:
        """Sorts a template above those its path also matches: literal segments first."""
        return tuple(not _PARAMETER.fullmatch(part) for part in self.path.split("/"))


class ProviderPaths:
    """The provider's path templates, to answer a path the simulator does not serve.

    Consulted only once a request has failed to find its route (a 404 or 405 of the router,
    a malformed id, a missing token), so served routes pay nothing for it.
    """

    def __init__(
        self,
        served: Iterable[Operation],
        documented: Iterable[tuple[str, str]] = PROVIDER_OPERATIONS,
    ) -> None:
        """Index the provider's (method, path template) pairs by their number of segments.

        Args:
            served: the operations the app serves (parameter names may differ from the
                provider's: `{client_custom_order_id}` serves `{clientCustomOrderId}`).
            documented: every (METHOD, path template) of the provider's document.
        """
        served_methods: dict[str, set[str]] = {}
        for operation in served:
            served_methods.setdefault(_shape(operation.path), set()).add(operation.method)
        methods: dict[str, set[str]] = {}
        for method, path in documented:
            methods.setdefault(path, set()).add(method)
        self._by_length: dict[int, list[_Template]] = {}
        for path, documented_methods in methods.items():
            pattern = re.compile("[^/]+".join(map(re.escape, _PARAMETER.split(path))))
            served_here = frozenset(served_methods.get(_shape(path), ()))
            template = _Template(path, pattern, frozenset(documented_methods), served_here)
            self._by_length.setdefault(path.count("/"), []).append(template)

    def refusal(self, method: str, path: str) -> ApiError | None:
        """The answer for a request on a provider path it is not served on, if there is one.

        Returns:
            A 501 naming the method and template when the provider documents the method
            there; a 405 when the provider documents only other methods on a path okc-sim
            serves none of; else None: no provider path, or one whose route answers for
            itself (a served method's 404, another method's 405).
        """
        template = self._best_match(path)
        if template is None:
            return None
        asked = "GET" if method == "HEAD" else method  # HEAD is served as the GET
        if asked in template.served:
            return None
        if asked in template.documented:
            return ApiError(
                501,
                "not_simulated",
                f"{asked} {template.path} is part of the OK Capsule API but not simulated by "
                "okc-sim.",
            )
        if template.served:
            return None
        allowed = ", ".join(sorted(template.documented))
        return ApiError(
            405,
            "method_not_allowed",
            f"{path} does not take {method}; the OK Capsule API documents {allowed} on "
            f"{template.path}.",
            {"Allow": allowed},
        )

    def _best_match(self, path: str) -> _Template | None:
        found = [t for t in self._by_length.get(path.count("/"), ()) if t.pattern.fullmatch(path)]
        return max(found, key=lambda t: t.specificity, default=None)


def _shape(path: str) -> str:
    """A path template with its parameters' names left out."""
    return _PARAMETER.sub("{}", path)


def build_routes(
    operations: Sequence[Operation], server: Server, provider: ProviderPaths
) -> list[Route]:
    """One Starlette route per path, dispatching on the method, in declaration order."""
    by_path: dict[str, dict[str, Operation]] = {}
    for operation in operations:
        methods = by_path.setdefault(operation.path, {})
        if operation.method in methods:
            raise ValueError(f"{operation.method} {operation.path} is declared twice.")
        methods[operation.method] = operation
    return [
        Route(path, _endpoint(methods, server, provider), methods=list(methods))
        for path, methods in by_path.items()
    ]


def _endpoint(
    methods: Mapping[str, Operation], server: Server, provider: ProviderPaths
) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        # Starlette answers HEAD for every GET route; it is served as the GET.
        operation = methods.get(request.method) or methods["GET"]
        return await _dispatch(operation, request, server, provider)

    return endpoint


async def _dispatch(
    operation: Operation, request: Request, server: Server, provider: ProviderPaths
) -> Response:
    visit = visit_of(request.scope)
    try:
        _check_client(operation, visit)
        path = _checked_ids(operation, request.path_params)
        query = read_query(request.query_params.multi_items(), operation.query)
        body = await read_json(request, server.max_body_bytes) if operation.body else None
    except Exception as error:
        if isinstance(error, ApiError) and error.status in {401, 404}:
            # `/v2/orders/carts` finds the route of `/v2/orders/{id}`; it is the provider's
            # path all the same, not simulated, whoever asks.
            error = provider.refusal(request.method, request.url.path) or error
        response = error_response(error)
        if response is None:
            raise
        return response
    call = Call(server, visit, path, query, body)
    work = functools.partial(_answer, operation, call, visit)
    if operation.inline:
        # A hop to a worker thread and back costs as much as a lookup by key, so a cheap
        # read runs right here when nothing can make it wait: no other call holds the
        # engine's lock and catching up to the clock has no work to run.
        done = server.sim.call_if_idle(work)
        if done is not None:
            return done[0]
    # Otherwise in a worker thread: the engine is synchronous and serialises every call on
    # one lock, and a call may first run a long stretch of due work (a running clock
    # catches up). There it never stalls the event loop, which keeps accepting and timing
    # out connections meanwhile. The thread does all of the request's engine work at once:
    # the handler, encoding its answer, and reading the time after it.
    return await run_in_threadpool(work)


def _answer(operation: Operation, call: Call, visit: Visit) -> Response:
    """The handler's response; the simulated time after it goes on the request's visit."""
    try:
        response = operation.handler(call).response()
    except Exception as error:
        mapped = error_response(error)
        if mapped is None:
            raise
        response = mapped
    # Read after the handler ran, so an advance reports the time it moved to.
    visit.answered_at = call.sim.now
    return response


def _check_client(operation: Operation, visit: Visit) -> None:
    if operation.auth is Auth.CLIENT and visit.client_id is None:
        raise ApiError(401, "unauthorized", str(visit.auth_problem), BEARER_CHALLENGE)


def _checked_ids(operation: Operation, params: Mapping[str, Any]) -> dict[str, str]:
    path = {name: str(value) for name, value in params.items()}
    for name, noun in operation.ids.items():
        if not _UUID.fullmatch(path[name]):
            raise ApiError(404, "not_found", f"No {noun} with id '{path[name]}'.")
    return path
