"""The web desk: read-only pages and a JSON API, each over the answer the CLI's --json gives.

A thin shell like the CLI: it parses the URL's parameters, calls projections/ and renders.
Every answer is read from the read models as the watcher (cli/web/live.py) last caught them
up, so no request writes, and a hundred viewers do not run a hundred catch-ups.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rumour_ledger.cli.web.chart import COLOURS, timeline_svg
from rumour_ledger.cli.web.live import Watcher, changes
from rumour_ledger.ledger.errors import (
    AmbiguousRumour,
    LedgerError,
    StoreError,
    UnknownName,
    UnknownRumour,
)

# Parameters every link keeps, so a link reproduces what its reader saw.
CARRIED = ("as_of", "known_at", "token")
STATUSES = ("all", "open", "confirmed", "denied", "not_happened")
LEAGUE_SORTS = ("reliability", "claims", "brier")
# A page of the web desk shows at most this many rows: a request is bounded.
MOST_ROWS = 1000
PAGE_ROWS = 50
HEADERS = {
    # No inline script or style anywhere: the one script and style sheet are files served here.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    # Links may hold the token: never send them on to another site.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class BadParameter(LedgerError):
    """A query parameter the desk cannot use."""


@dataclass
class Desk:
    """What every request reads from: the open ledger, its settings, the watcher."""

    ledger: Any
    settings: Any
    watcher: Watcher

    @contextmanager
    def reading(self) -> Iterator[Any]:
        # Not ledger.reading(): that catches up first, and catching up is the watcher's job.
        with self.ledger.engine.connect() as conn:
            yield conn

    def today(self) -> date:
        return self.ledger.app.clock().astimezone().date()


class Query:
    """A request's query parameters as the CLI's options: empty means not given."""

    def __init__(self, request: Request) -> None:
        self.params = request.query_params

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None or not value.strip() else value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(name) or default
        if value not in choices:
            raise BadParameter(f"{name}: choose one of {', '.join(choices)}, not {value!r}")
        return value

    def whole(self, name: str, least: int = 1, most: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise BadParameter(f"{name}: {value!r} is not a whole number") from None
        if number < least or (most is not None and number > most):
            top = "" if most is None else f" to {most}"
            raise BadParameter(f"{name}: must be {least}{top or ' or more'}, got {number}")
        return number

    def fraction(self, name: str) -> float:
        value = self.text(name)
        if value is None:
            return 0.0
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not 0.0 <= number <= 1.0:  # false for NaN too
            raise BadParameter(f"{name}: {value!r} is not a number from 0 to 1")
        return number

    def moment(self, today: date) -> Any:
        from rumour_ledger.projections.evidence import parse_moment

        return parse_moment(self.text("as_of"), self.text("known_at"), today)


# The answers: each the document the named CLI command prints with --json.


def board_answer(desk: Desk, query: Query, default_limit: int | None) -> tuple[Any, list]:
    """`rumour board --json` with --status, --min, --text (q), --sort, --page, --limit."""
    from rumour_ledger.projections.answers import SORTS, board_page

    status = query.choice("status", STATUSES, "all")
    minimum = query.fraction("min")
    sort = query.choice("sort", SORTS, "likelihood")
    limit = query.whole("limit", most=MOST_ROWS) or default_limit
    page = query.whole("page")
    with desk.reading() as conn:
        moment = query.moment(desk.today())
        rows = board_page(
            conn,
            moment,
            desk.settings,
            status,
            minimum,
            limit,
            text=query.text("q"),
            sort=sort,
            page=page,
        )
    return moment, rows


def _ref(conn: Any, text: str) -> Any:
    from rumour_ledger.projections.views import find_rumour

    return find_rumour(conn, text)


def why_answer(desk: Desk, query: Query, rumour: str) -> tuple[Any, dict]:
    """`rumour why RUMOUR --json`."""
    from rumour_ledger.projections.answers import why_answer as why

    with desk.reading() as conn:
        ref = _ref(conn, rumour)
        moment = query.moment(desk.today())
        return moment, why(conn, ref, moment, desk.settings)


def timeline_answer(desk: Desk, query: Query, rumour: str) -> dict:
    """`rumour timeline RUMOUR --json` with --since, --until (as_of stands for it) and
    --known-at."""
    from rumour_ledger.ledger.claims import check_date
    from rumour_ledger.projections.answers import timeline_answer as days
    from rumour_ledger.projections.evidence import parse_moment

    with desk.reading() as conn:
        ref = _ref(conn, rumour)
        end = query.text("until") or query.text("as_of")
        moment = parse_moment(end, query.text("known_at"), desk.today())
        since = query.text("since")
        first = None if since is None else check_date("from", since, moment.as_of)
        return days(conn, ref, first, moment.as_of, desk.settings, moment.known_at)


def history_answer(desk: Desk, query: Query, rumour: str) -> dict:
    """`rumour show RUMOUR --json` (as_of only when given, as the CLI does)."""
    from rumour_ledger.projections.answers import history_answer as history

    with desk.reading() as conn:
        ref = _ref(conn, rumour)
        moment = query.moment(desk.ledger.app.today)
        as_of = None if query.text("as_of") is None else moment.as_of
        return history(conn, ref, as_of, moment.known_at)


def source_answer(desk: Desk, query: Query, name: str) -> tuple[Any, dict]:
    """`rumour audit source NAME --json`."""
    from rumour_ledger.projections.audit import source_audit

    with desk.reading() as conn:
        moment = query.moment(desk.today())
        return moment, source_audit(conn, name, moment, desk.settings)


def league_answer(desk: Desk, query: Query) -> tuple[Any, list]:
    """`rumour sources --json` with --sort."""
    from rumour_ledger.projections.audit import league

    sort = query.choice("sort", LEAGUE_SORTS, "reliability")
    with desk.reading() as conn:
        moment = query.moment(desk.today())
        return moment, league(conn, moment, desk.settings, sort)


def log_answer(desk: Desk, query: Query) -> list:
    """`rumour audit log --json` with --since and --recorded-by."""
    from rumour_ledger.projections.answers import recorded_since
    from rumour_ledger.projections.audit import audit_log

    with desk.reading() as conn:
        since = recorded_since(query.text("since"), desk.ledger.app.today)
        return audit_log(conn, since, query.text("recorded_by"))


# Responses.


def as_json(data: Any, status: int = 200) -> Response:
    # As print_json writes it: the same keys, the same values, non-ASCII kept.
    return Response(
        json.dumps(data, ensure_ascii=False) + "\n",
        status_code=status,
        media_type="application/json",
    )


def _desk(request: Request) -> Desk:
    desk = request.app.state.desk
    if not hasattr(request.state, "version"):
        # Before anything is read: a change caught up while this page renders makes the
        # page's stream say so at once (desk.js compares), rather than go unseen.
        request.state.version = desk.watcher.version
    return desk


def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("rumour_ledger.cli.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["percent"] = lambda value: f"{value:.0%}"
    environment.filters["signed"] = lambda value, places=1: f"{value:+.{places}f}"
    environment.filters["words"] = lambda value: str(value).replace("_", " ")
    environment.filters["short"] = lambda value: (value or "")[:8]
    environment.filters["web_link"] = _web_link
    return environment


def _web_link(url: str | None) -> str | None:
    """A claim's link, if it is one a reader may follow: http or https only, never
    javascript: or data: (the text is the user's)."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    page = request.app.state.templates.get_template(template)
    version = getattr(request.state, "version", 0)
    html = page.render(**_links(request), colours=COLOURS, version=version, **context)
    return HTMLResponse(html, status_code=status)


def _links(request: Request) -> dict[str, Callable[..., str]]:
    params = request.query_params
    carried = {k: params[k] for k in CARRIED if params.get(k, "").strip()}

    def link(path: str, **extra: Any) -> str:
        """A path with the carried parameters and these (None drops one)."""
        chosen = {**carried, **extra}
        shown = {k: v for k, v in chosen.items() if v not in (None, "")}
        return path + ("?" + urlencode(shown) if shown else "")

    def here(**changed: Any) -> str:
        """This page with some parameters changed."""
        current = {k: v for k, v in params.items() if v.strip()}
        return link(request.url.path, **{**current, **changed})

    def rumour_link(rumour_id: str) -> str:
        return link(f"/rumour/{quote(rumour_id, safe='')}")

    def source_link(name: str) -> str:
        return link(f"/source/{quote(name, safe='')}")

    def hidden(*names: str) -> list[tuple[str, str]]:
        """Hidden form fields that keep these parameters when a form is sent."""
        return [(k, params[k]) for k in names if params.get(k, "").strip()]

    return {
        "link": link,
        "here": here,
        "rumour_link": rumour_link,
        "source_link": source_link,
        "hidden": hidden,
        "param": lambda name: params.get(name, ""),
    }


def _replay(moment: Any) -> dict[str, Any]:
    return {
        "moment": moment,
        "day_before": (moment.as_of - timedelta(days=1)).isoformat(),
        "day_after": (moment.as_of + timedelta(days=1)).isoformat(),
    }


# Pages.


def board_page(request: Request) -> Response:
    desk = _desk(request)
    query = Query(request)
    moment, rows = board_answer(desk, query, PAGE_ROWS)
    limit = query.whole("limit", most=MOST_ROWS) or PAGE_ROWS
    page = query.whole("page") or 1
    return render(
        request,
        "board.html",
        live=True,
        rows=rows,
        page=page,
        more=len(rows) == limit,
        statuses=STATUSES,
        sorts=_sorts(),
        **_replay(moment),
    )


def _sorts() -> tuple[str, ...]:
    from rumour_ledger.projections.answers import SORTS

    return SORTS


def rumour_page(request: Request) -> Response:
    from rumour_ledger.projections.answers import aliases_applied

    desk = _desk(request)
    query = Query(request)
    rumour = request.path_params["rumour"]
    moment, why = why_answer(desk, query, rumour)
    shown = why["rumour"]["id"]
    history = history_answer(desk, query, shown)
    days = timeline_answer(desk, query, shown)["days"]
    with desk.reading() as conn:
        applied = aliases_applied(conn, history, moment.known_at)
    return render(
        request,
        "rumour.html",
        live=True,
        why=why,
        events=history["events"],
        aliases=applied,
        chart=Markup(timeline_svg(days, why["rumour"]["label"])),
        **_replay(moment),
    )


def source_page(request: Request) -> Response:
    desk = _desk(request)
    moment, audit = source_answer(desk, Query(request), request.path_params["name"])
    return render(request, "source.html", audit=audit, **_replay(moment))


def league_page(request: Request) -> Response:
    desk = _desk(request)
    moment, table = league_answer(desk, Query(request))
    return render(request, "sources.html", table=table, sorts=LEAGUE_SORTS, **_replay(moment))


def log_page(request: Request) -> Response:
    desk = _desk(request)
    query = Query(request)
    limit = query.whole("limit", most=MOST_ROWS) or PAGE_ROWS
    page = query.whole("page") or 1
    entries = log_answer(desk, query)
    # Newest first on screen: a desk reads the trail from what just happened.
    newest = entries[::-1][(page - 1) * limit : page * limit]
    moment = query.moment(desk.today())
    return render(
        request,
        "audit.html",
        entries=newest,
        total=len(entries),
        page=page,
        more=page * limit < len(entries),
        **_replay(moment),
    )


# The JSON API.


def board_api(request: Request) -> Response:
    return as_json(board_answer(_desk(request), Query(request), PAGE_ROWS)[1])


def why_api(request: Request) -> Response:
    return as_json(why_answer(_desk(request), Query(request), request.path_params["rumour"])[1])


def timeline_api(request: Request) -> Response:
    return as_json(timeline_answer(_desk(request), Query(request), request.path_params["rumour"]))


def claims_api(request: Request) -> Response:
    return as_json(history_answer(_desk(request), Query(request), request.path_params["rumour"]))


def source_api(request: Request) -> Response:
    return as_json(source_answer(_desk(request), Query(request), request.path_params["name"])[1])


def league_api(request: Request) -> Response:
    return as_json(league_answer(_desk(request), Query(request))[1])


def log_api(request: Request) -> Response:
    return as_json(log_answer(_desk(request), Query(request)))


async def events(request: Request) -> Response:
    watcher = _desk(request).watcher
    return StreamingResponse(
        changes(watcher, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# Errors: one line, a 4xx status, never a traceback.


def _status_of(error: Exception) -> int:
    if isinstance(error, UnknownRumour | UnknownName):
        return 404
    if isinstance(error, AmbiguousRumour):
        return 409
    if isinstance(error, StoreError):
        return 503
    return 400


def _failed(request: Request, status: int, message: str) -> Response:
    line = " ".join(message.split()) or "error"
    if request.url.path.startswith(("/api/", "/events", "/static/")):
        return as_json({"error": line}, status)
    return render(request, "error.html", status=status, message=line, status_code=status)


async def ledger_failed(request: Request, error: Exception) -> Response:
    return _failed(request, _status_of(error), str(error))


async def http_failed(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    messages = {404: "no such page", 405: "this desk is read-only: only GET and HEAD"}
    return _failed(request, error.status_code, messages.get(error.status_code, error.detail))


async def internal_failed(request: Request, error: Exception) -> Response:
    return PlainTextResponse(f"Error: internal error: {type(error).__name__}\n", status_code=500)


def host_name(header: str) -> str:
    """The name in a Host header, its port dropped: `[::1]:8080` -> `[::1]`."""
    header = header.strip()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def is_loopback_host(header: str | None) -> bool:
    """A Host header naming this machine (localhost, 127.0.0.1, [::1], any port). A page
    on another site can point its own name at 127.0.0.1 (DNS rebinding) and read the desk
    through the browser; such a request still carries that site's name in Host."""
    from rumour_ledger.cli.serve import is_loopback

    name = host_name(header or "")
    return bool(name) and is_loopback(name)


class Guard:
    """Around every response: only GET and HEAD, the token when one is set (a Host naming
    this machine when none is), and the security headers."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            refused = PlainTextResponse(
                "Error: this desk is read-only: only GET and HEAD\n",
                status_code=405,
                headers={"Allow": "GET, HEAD"},
            )
            await refused(scope, receive, with_headers)
            return
        if self.token is None and not is_loopback_host(Request(scope).headers.get("host")):
            refused = PlainTextResponse(
                "Error: this desk answers only to localhost, 127.0.0.1 or [::1] "
                "(serve with --token to be reached by another name)\n",
                status_code=400,
            )
            await refused(scope, receive, with_headers)
            return
        guarded = self.token is not None and not scope["path"].startswith("/static/")
        if guarded and not self._allowed(Request(scope)):
            refused = PlainTextResponse(
                "Error: this desk needs its token: ?token=... or Authorization: Bearer ...\n",
                status_code=401,
            )
            await refused(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)

    def _allowed(self, request: Request) -> bool:
        assert self.token is not None
        given = request.query_params.get("token", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            given = header[7:].strip()
        # Constant time: how much of a guess matched must not show in the answer's timing.
        return hmac.compare_digest(given.encode(), self.token)


def create_app(
    ledger: Any, settings: Any, *, token: str | None = None, interval: float = 1.0
) -> Starlette:
    """The desk's ASGI app on an open ledger. The watcher starts with the app (its first
    catch-up before any page is served) and stops with it."""
    from contextlib import asynccontextmanager

    watcher = Watcher(ledger, interval)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        watcher.start()
        try:
            yield
        finally:
            watcher.stop()

    get = ["GET"]
    routes = [
        Route("/", board_page, methods=get),
        Route("/rumour/{rumour:path}", rumour_page, methods=get),
        Route("/source/{name:path}", source_page, methods=get),
        Route("/sources", league_page, methods=get),
        Route("/audit", log_page, methods=get),
        Route("/api/board", board_api, methods=get),
        Route("/api/rumour/{rumour:path}/timeline", timeline_api, methods=get),
        Route("/api/rumour/{rumour:path}/claims", claims_api, methods=get),
        Route("/api/rumour/{rumour:path}", why_api, methods=get),
        Route("/api/source/{name:path}", source_api, methods=get),
        Route("/api/sources", league_api, methods=get),
        Route("/api/audit", log_api, methods=get),
        Route("/events", events, methods=get),
        Mount("/static", StaticFiles(packages=[("rumour_ledger.cli.web", "static")])),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            LedgerError: ledger_failed,
            HTTPException: http_failed,
            Exception: internal_failed,
        },
    )
    app.state.desk = Desk(ledger, settings, watcher)
    app.state.templates = _templates()
    app.add_middleware(Guard, token=token)
    return app
