"""The layer every request passes: sim time, identity, faults, rate limit, size limit, control lock.

It also journals each request and turns an unexpected exception into a JSON 500.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse

from simulator import StoreFull, StoreLost, Unauthorized
from simulator.http._auth import admin_refusal, bearer_token
from simulator.http._body import declared_size_refusal
from simulator.http._context import Visit, attach_visit, http_date, iso_utc
from simulator.http._errors import ApiError, error_body, error_response
from simulator.http._faults import delay, fault_response, mark_dropped
from simulator.http._journal import JournalEntry

if TYPE_CHECKING:
    from datetime import datetime

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from simulator.http._context import Server
    from simulator.http._fault_rules import Fault
    from simulator.http._ratelimit import Verdict

logger = logging.getLogger("simulator.http")

PROVIDER_PREFIX = "/v2"
CONTROL_PREFIX = "/_sim"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class SimMiddleware:
    """Pure ASGI middleware that frames every HTTP request the app answers."""

    def __init__(self, app: ASGIApp, server: Server) -> None:
        """Wrap the router.

        Args:
            app: the inner application (Starlette's exception layer and router).
            server: the app's shared state and settings.
        """
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request (other scope types pass straight through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        path: str = scope["path"]
        provider = _under(path, PROVIDER_PREFIX)
        framing = _Framing(send, self.server, head=scope["method"] == "HEAD")
        visit: Visit | None = None
        try:
            at = self.server.sim.clock_reading()
            refusal = self.server.gate.screen(scope)
            if refusal is not None:
                await self._turn_away(scope, receive, framing, refusal, at)
                return
            found = self._identify(headers.get("authorization"), at, provider=provider)
            if isinstance(found, str):
                # A token not verified yet: `authorize` checks it under the engine's lock,
                # which it may wait for, so off the event loop.
                found = await run_in_threadpool(self._authorize, found, at)
            visit = found
            attach_visit(scope, visit)
            framing.visit = visit
            framing.fault = self.server.faults.pick(scope["method"], path, visit.at)
            await self._serve(scope, receive, framing, headers, visit)
        except Exception as error:  # the last resort: answer in JSON, log what is unknown
            response = error_response(error)  # a store refusal met outside a handler
            if response is None:
                logger.exception("Unexpected error answering %s %s", scope["method"], path)
                message = f"Internal error in the simulator ({type(error).__name__}); see its log."
                response = JSONResponse(error_body("internal_error", message), 500)
            if not framing.status:
                await response(scope, receive, framing)
        finally:
            if framing.visit is not None:
                self._record(scope, framing.visit, framing, started)
        if framing.dropped:
            mark_dropped(scope)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        framing: _Framing,
        headers: Headers,
        visit: Visit,
    ) -> None:
        """Answer the request, meeting the fault the injector picked for it, if any."""
        fault = framing.fault
        if fault is not None and fault.stage == "request":
            # Before the request counts or reaches the engine: the world stays as it was.
            await delay(fault)
            if fault.kind != "latency":
                await self._inject(scope, receive, framing, fault, visit)
                return
        provider = _under(scope["path"], PROVIDER_PREFIX)
        framing.verdict = self._count(scope, visit) if provider else None
        if fault is None or fault.stage == "request":
            await self._answer(scope, receive, framing, headers, framing.verdict)
        elif fault.kind == "latency":
            framing.delayed_by = fault
            await self._answer(scope, receive, framing, headers, framing.verdict)
        else:
            # The server does the work and its answer is lost, as when a gateway gives up on
            # a server that went ahead: what a client's retries must survive without doubling.
            await self._answer(scope, receive, _discard, headers, framing.verdict)
            await delay(fault)
            framing.forget_answer_time()
            await self._inject(scope, receive, framing, fault, visit)

    async def _inject(
        self,
        scope: Scope,
        receive: Receive,
        framing: _Framing,
        fault: Fault,
        visit: Visit,
    ) -> None:
        """Answer with the fault: an error, a 429, or (marked for the app) nothing at all."""
        if fault.kind == "drop":
            framing.dropped = True
            return
        limiter = self.server.limiter
        response = fault_response(fault, visit.at, None if limiter is None else limiter.limit)
        await response(scope, receive, framing)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        verdict: Verdict | None,
    ) -> None:
        refusal = self._refusal(scope["path"], headers, verdict)
        if refusal is not None:
            response = error_response(refusal)
            assert response is not None  # noqa: S101 - an ApiError always maps
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _record(self, scope: Scope, visit: Visit, framing: _Framing, started: float) -> None:
        self.server.journal.record(
            JournalEntry(
                id=self.server.journal.next_id(),
                at=iso_utc(visit.at),
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                status=None if framing.dropped else framing.status or 500,
                client_id=visit.client_id or visit.logged_in,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                fault=None if framing.fault is None else framing.fault.journal_json(),
                observed=() if visit.observed is None else tuple(visit.observed),
                retry_after=framing.retry_after,
            )
        )

    @staticmethod
    async def _turn_away(
        scope: Scope, receive: Receive, framing: _Framing, refusal: ApiError, at: datetime
    ) -> None:
        """Answer a request for another host, or a write that is not JSON (see `_gate`).

        Before identifying the client, counting a rate or meeting a fault: such a request
        may come from another web site, and must change nothing. The journal still shows it.
        """
        framing.visit = Visit(at)
        attach_visit(scope, framing.visit)
        response = error_response(refusal)
        assert response is not None  # noqa: S101 - an ApiError always maps
        await response(scope, receive, framing)

    def _identify(self, authorization: str | None, at: datetime, *, provider: bool) -> Visit | str:
        """Who sent a request that arrived `at`: its visit, or the token the store must judge.

        `at` is the clock's reading, taken without waiting for the engine: the world catches
        up to it in the handler's engine call. Only the provider's API reads a token; one
        that `authorize` has vouched for before is known from memory.
        """
        if not provider:
            return Visit(at)
        token, problem = bearer_token(authorization)
        if token is None:
            return Visit(at, None, problem)
        client_id = self.server.sim.known_client(token, at)
        return token if client_id is None else Visit(at, client_id)

    def _authorize(self, token: str, at: datetime) -> Visit:
        """Runs in a worker thread: the store judges the token; the call may wait for its lock."""
        try:
            return Visit(at, self.server.sim.authorize(token))
        except Unauthorized as error:
            return Visit(at, None, str(error))

    def _count(self, scope: Scope, visit: Visit) -> Verdict | None:
        limiter = self.server.limiter
        if limiter is None:
            return None
        if visit.client_id is not None:
            key = "client:" + visit.client_id
        else:
            remote = scope.get("client")
            key = "address:" + (str(remote[0]) if remote else "unknown")
        return limiter.hit(key, visit.at)

    def _refusal(self, path: str, headers: Headers, verdict: Verdict | None) -> ApiError | None:
        """Why the request is refused before routing, if it is."""
        if verdict is not None and not verdict.allowed:
            return ApiError(
                429,
                "rate_limited",
                f"Rate limit of {verdict.limit} requests per simulated hour reached; retry "
                f"after {verdict.retry_after} simulated seconds, at {iso_utc(verdict.resets_at)}.",
            )
        declared = declared_size_refusal(headers.get("content-length"), self.server.max_body_bytes)
        if declared is not None:
            return declared
        if _under(path, CONTROL_PREFIX) and self.server.control_requires_token:
            return admin_refusal(
                headers.get("authorization"), headers.get("x-admin-token"), self.server.admin_token
            )
        return None


def _stamp_sim_time(headers: MutableHeaders, now: datetime) -> None:
    """Date the response by the simulated clock, in both X-Sim-Time and HTTP's own `Date`.

    A client that takes its polling watermark from `Date` then sees what the world sees.
    """
    headers["X-Sim-Time"] = iso_utc(now)
    headers["Date"] = http_date(now)


async def _discard(_message: Message) -> None:
    """A `send` that throws the answer away (a response-stage fault replaces it)."""


class _Framing:
    """Wraps `send`: adds the sim-time, rate-limit and fault headers, remembers the status."""

    def __init__(self, send: Send, server: Server, *, head: bool) -> None:
        self._send = send
        self._server = server
        self._head = head
        self.verdict: Verdict | None = None
        self.visit: Visit | None = None
        self.fault: Fault | None = None
        """The injected fault that struck the request, if one did."""
        self.delayed_by: Fault | None = None
        """A response-stage latency fault, waited out before the response starts."""
        self.dropped = False
        """Whether the connection is to be dropped instead of answered."""
        self.status = 0
        self.retry_after: int | None = None
        """The `Retry-After` seconds of a 429, for the journal."""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if self.delayed_by is not None:
                await delay(self.delayed_by)
                self.forget_answer_time()
            self.status = int(message["status"])
            headers = MutableHeaders(scope=message)
            now = self._sim_time()
            if now is None:
                # The world must catch up first, which may take long: off the event loop.
                now = await run_in_threadpool(self._caught_up_now)
            _stamp_sim_time(headers, now)
            if self.verdict is not None:
                for name, value in self.verdict.headers().items():
                    headers[name] = value
            if self.fault is not None:
                for name, value in self.fault.headers().items():
                    headers[name] = value
            if self.status == 429:
                self.retry_after = self._retry_after()
        elif message["type"] == "http.response.body" and self._head:
            # A HEAD response keeps the GET's headers (Content-Length included) but no body.
            message = {**message, "body": b""}
        await self._send(message)

    def _retry_after(self) -> int | None:
        """The wait a 429 asks for: the rate limiter's, or an injected fault's."""
        if self.verdict is not None and not self.verdict.allowed:
            return self.verdict.retry_after
        return None if self.fault is None else self.fault.retry_after

    def _caught_up_now(self) -> datetime:
        """The simulated now after catching up; the clock's reading if the store refuses."""
        sim = self._server.sim
        try:
            return sim.now
        except (StoreFull, StoreLost):
            return sim.clock_reading()

    def forget_answer_time(self) -> None:
        """Time passed after the handler (a fault's delay): X-Sim-Time must be read afresh."""
        if self.visit is not None:
            self.visit.answered_at = None

    def _sim_time(self) -> datetime | None:
        """The simulated now as the response leaves, after the handler (if one ran).

        The handler's engine call read it already; else, with the world caught up to the
        clock, the clock says it at once; else None: the world must catch up first.
        """
        if self.visit is not None and self.visit.answered_at is not None:
            return self.visit.answered_at
        return self._server.sim.settled_now()
