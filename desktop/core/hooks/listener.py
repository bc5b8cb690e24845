"""The hook listener and read API: aiohttp on 127.0.0.1, in the app's event loop."""

from __future__ import annotations

import errno
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from desktop.core.hooks.payload import HookPayload, IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.progression.service import ProgressionService
from desktop.core.progression.views import level_json
from desktop.core.projects.report import MAX_DAYS
from desktop.core.projects.service import ProjectService
from desktop.core.remote.hosts import LOCAL
from desktop.core.remote.link import RemoteHosts
from desktop.core.usage.service import UsageService

log = logging.getLogger(__name__)

# Personas /api/personas answers with unless asked for another page size.
PERSONAS_PAGE = 200
MAX_BODY = 1024 * 1024
SECRET_HEADER = "X-Claude-RPG-Secret"
# The one route open to every local user: whether the app is up, on which port, its version.
HEALTH_PATH = "/api/health"
MAX_USAGE_DAYS = 366
_PANE_ID = re.compile(r"^%\d{1,9}$")
_DEDUPE_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HealthSource = Callable[[], dict[str, Any]]


class ListenerStartError(RuntimeError):
    """The listener could not bind; the message says what to do."""


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def json_error(status: int, message: str) -> web.Response:
    """An error reply: a JSON object with a sentence saying what was wrong."""
    return web.json_response({"error": message, "status": status}, status=status, dumps=_dumps)


class HookListener:
    """Accepts Claude Code hook events and serves the read API on loopback."""

    def __init__(
        self,
        ingest: EventIngest,
        personas: PersonaService,
        registry: PaneRegistry,
        secret: str,
        port: int,
        host: str = "127.0.0.1",
        health: HealthSource | None = None,
        progression: ProgressionService | None = None,
        projects: ProjectService | None = None,
        usage: UsageService | None = None,
        remote: RemoteHosts | None = None,
    ) -> None:
        self.ingest = ingest
        self.personas = personas
        self.registry = registry
        self.secret = secret
        self.host = host
        self.port = port
        self.health_source = health
        self.progression = progression
        self.projects = projects
        self.usage = usage
        self.remote = remote
        self.started_at = time.time()
        self._runner: web.AppRunner | None = None
        self.app = self._make_app()

    # --- lifecycle -----------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_BODY,
            middlewares=[self._errors_mw, self._guard_mw, self._secret_mw],
        )
        app.router.add_post("/hooks/{event_name}", self.post_hook)
        app.router.add_post("/event", self.post_hook)
        app.router.add_get(HEALTH_PATH, self.get_health)
        app.router.add_get("/api/personas", self.get_personas)
        app.router.add_get("/api/personas/{persona_id}", self.get_persona)
        app.router.add_get("/api/personas/{persona_id}/challenges", self.get_challenges)
        app.router.add_get("/api/panes", self.get_panes)
        app.router.add_get("/api/hosts", self.get_hosts)
        if self.progression is not None:
            app.router.add_get("/api/personas/{persona_id}/xp", self.get_xp_ledger)
            app.router.add_get("/api/leaderboard", self.get_leaderboard)
        if self.projects is not None:
            app.router.add_get("/api/projects", self.get_projects)
            app.router.add_get("/api/projects/{project_id}", self.get_project)
            app.router.add_get("/api/report", self.get_report)
        if self.usage is not None:
            app.router.add_get("/api/usage", self.get_usage)
            app.router.add_get("/api/limits", self.get_limits)
        return app

    async def start(self) -> None:
        """Bind 127.0.0.1:port; a port in use becomes a sentence that says what to do."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as e:
            await self._runner.cleanup()
            self._runner = None
            if e.errno == errno.EADDRINUSE:
                raise ListenerStartError(
                    f"port {self.port} is in use by another program; "
                    f"start with --port N (and run `claude-rpg hooks install --port N`)"
                ) from e
            raise ListenerStartError(f"cannot listen on {self.host}:{self.port}: {e}") from e
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("hook listener on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- middlewares ---------------------------------------------------------------------

    @web.middleware
    async def _errors_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return json_error(413, f"request body is larger than {MAX_BODY} bytes; nothing stored")
        except web.HTTPException as e:
            if e.status < 400:
                raise
            return json_error(e.status, e.reason)
        except Exception:
            log.exception("request %s %s failed", request.method, request.path)
            return json_error(500, "internal error; the app logged it and keeps running")

    @web.middleware
    async def _guard_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # A web page must never reach this API (CSRF), nor a rebound DNS name (rebinding).
        if "Origin" in request.headers:
            return json_error(403, "requests from web pages (with an Origin header) are refused")
        host = request.headers.get("Host")
        if host is not None and host not in self._allowed_hosts():
            return json_error(403, f"Host {host!r} is refused; use http://127.0.0.1:{self.port}")
        return await handler(request)

    @web.middleware
    async def _secret_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Every route but the health probe shows or changes what Claude did (a pane's folder,
        # its Bash commands): another local user must not read it, nor forge events.
        if request.path != HEALTH_PATH and not self._authorized(request):
            return json_error(
                401,
                f"missing or wrong {SECRET_HEADER} header; send the secret in "
                "<data dir>/secret (for hooks: run `claude-rpg hooks install`)",
            )
        return await handler(request)

    def _authorized(self, request: web.Request) -> bool:
        supplied = request.headers.get(SECRET_HEADER, "")
        # aiohttp keeps undecodable header bytes as surrogates: encode them back, never fail.
        # An empty secret (a damaged file) matches nothing, not an empty header.
        return bool(self.secret) and hmac.compare_digest(
            supplied.encode("utf-8", "surrogateescape"), self.secret.encode()
        )

    def _allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"}

    # --- ingest --------------------------------------------------------------------------

    async def post_hook(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return json_error(413, f"request body is larger than {MAX_BODY} bytes; nothing stored")
        body = await request.read()
        if not body.strip():
            return json_error(400, "empty body: send the hook's JSON payload")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            return json_error(400, f"body is not valid JSON ({e}); nothing stored")
        if not isinstance(data, dict):
            return json_error(422, "the payload must be a JSON object; nothing stored")
        try:
            payload = HookPayload.model_validate(data)
        except ValidationError as e:
            fields = ", ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
                for err in e.errors()
            )
            return json_error(422, f"invalid hook payload ({fields}); nothing stored")
        named = request.match_info.get("event_name")
        if named is not None and named != payload.hook_event_name:
            return json_error(
                422,
                f"the path names {named} but the body's hook_event_name is "
                f"{payload.hook_event_name}; post it to /hooks/{payload.hook_event_name} "
                "(nothing stored)",
            )
        event = IncomingEvent(
            payload=data,
            event_name=payload.hook_event_name,
            session_id=payload.session_id,
            dedupe_key=_header_key(request) or uuid.uuid4().hex,
            stamp=_header_float(request, "X-Hook-Stamp") or time.time(),
            pane_id=_header_pane(request),
            claude_pid=_header_int(request, "X-Claude-Pid"),
        )
        # Stored before the reply, with the other calls of this loop turn (group commit).
        result = await self.ingest.submit(event)
        return web.json_response(
            {
                "stored": result.stored,
                "persona_id": result.persona.id if result.persona else None,
            },
            dumps=_dumps,
        )

    # --- read API ------------------------------------------------------------------------

    async def get_health(self, _request: web.Request) -> web.Response:
        data: dict[str, Any] = {
            "status": "ok",
            "uptime_s": round(time.time() - self.started_at, 3),
            "events_accepted": self.ingest.accepted,
            "panes": self.registry.counts(),
        }
        if self.health_source is not None:
            data.update(self.health_source())
        return web.json_response(data, dumps=_dumps)

    async def get_personas(self, request: web.Request) -> web.Response:
        # The newest `limit` personas (a year of sessions makes thousands); `before` pages back.
        # Without `host`, this machine's page and (on the first page) the newest remote ones;
        # `host=local` or `host=NAME` pages through one host's personas by its ids.
        limit = _query_limit(request, default=PERSONAS_PAGE, most=1000)
        before = request.query.get("before")
        if limit is None or (before is not None and not (before.isdigit() and len(before) < 19)):
            return json_error(
                400, "limit must be a whole number from 1 to 1000, before a persona id"
            )
        host = request.query.get("host")
        below = int(before) if before is not None else None
        data: list[dict[str, Any]] = []
        if host in (None, LOCAL):
            data = [p.to_json() for p in self.personas.newest(limit, below)]
        if self.remote is not None and host != LOCAL and (host is not None or below is None):
            data += self.remote.personas_json(limit, host, below)
        return web.json_response(data, dumps=_dumps)

    def _kept_on(self, request: web.Request) -> str | None:
        """The remote host `?host=NAME` names (its persona's ledger, badges, challenges and
        usage are kept there), or None for this machine's personas."""
        host = request.query.get("host")
        return host if host not in (None, LOCAL) else None

    async def get_persona(self, request: web.Request) -> web.Response:
        persona_id = _path_int(request, "persona_id")
        host = self._kept_on(request)
        if host is not None:
            return self._remote_persona(host, persona_id, request)
        persona = self.personas.get(persona_id) if persona_id is not None else None
        if persona is None:
            return json_error(404, f"no persona with id {request.match_info['persona_id']!r}")
        data = persona.to_json()
        if self.progression is not None:
            data.update(level_json(persona.xp))
            badges = self.progression.badges(persona.id) or []
            data["badges"] = [b.to_json() for b in badges]
        if self.usage is not None:
            data["usage"] = self.usage.persona_usage(persona.id).to_json()
        return web.json_response(data, dumps=_dumps)

    def _remote_persona(
        self, host: str, persona_id: int | None, request: web.Request
    ) -> web.Response:
        """A remote persona as its host last sent it: XP and level are the host's."""
        found = None
        if self.remote is not None and persona_id is not None:
            found = self.remote.personas.get(host, persona_id)
        if found is None:
            return json_error(
                404,
                f"no persona with id {request.match_info['persona_id']!r} on host {host[:40]!r}",
            )
        data = {**found.to_json(), **level_json(found.xp), "level": found.level}
        data["kept_on"] = host  # its badges, challenges, ledger and token use stay there
        return web.json_response(data, dumps=_dumps)

    def _kept_there(self, host: str) -> web.Response:
        return json_error(
            404,
            f"a persona of host {host[:40]!r} keeps this on that host; ask the claude-rpg "
            "running there (its own /api/personas)",
        )

    async def get_challenges(self, request: web.Request) -> web.Response:
        host = self._kept_on(request)
        if host is not None:
            return self._kept_there(host)
        persona_id = _path_int(request, "persona_id")
        challenges = self.personas.challenges(persona_id) if persona_id is not None else None
        if challenges is None:
            return json_error(404, f"no persona with id {request.match_info['persona_id']!r}")
        return web.json_response([c.to_json() for c in challenges], dumps=_dumps)

    async def get_panes(self, _request: web.Request) -> web.Response:
        data = [{**p.to_json(), "host": LOCAL} for p in self.registry.all()]
        if self.remote is not None:
            data += self.remote.panes_json()
        return web.json_response(data, dumps=_dumps)

    async def get_hosts(self, _request: web.Request) -> web.Response:
        """The remote hosts: connected or since when not, and why, in words."""
        states = self.remote.states() if self.remote is not None else []
        return web.json_response([s.to_json() for s in states], dumps=_dumps)

    async def get_xp_ledger(self, request: web.Request) -> web.Response:
        """The persona's XP awards, oldest first: each with its event, amount and reason."""
        assert self.progression is not None
        limit = _query_limit(request, default=500, most=5000)
        if limit is None:
            return json_error(400, "limit must be a whole number from 1 to 5000")
        host = self._kept_on(request)
        if host is not None:
            return self._kept_there(host)
        persona_id = _path_int(request, "persona_id")
        lines = self.progression.ledger(persona_id, limit) if persona_id is not None else None
        if lines is None:
            return json_error(404, f"no persona with id {request.match_info['persona_id']!r}")
        return web.json_response([line.to_json() for line in lines], dumps=_dumps)

    async def get_limits(self, _request: web.Request) -> web.Response:
        """The plan's 5-hour and 7-day windows as Claude's status line last reported them."""
        assert self.usage is not None
        limits = self.usage.limits
        data = limits.to_json() if limits else {"five_hour": None, "seven_day": None}
        return web.json_response(data, dumps=_dumps)

    async def get_usage(self, request: web.Request) -> web.Response:
        """Token totals and estimated cost per local day, oldest first, today last."""
        assert self.usage is not None
        raw = request.query.get("days", "7")
        if not (raw.isdigit() and len(raw) < 4 and 1 <= int(raw) <= MAX_USAGE_DAYS):
            return json_error(400, f"days must be a whole number from 1 to {MAX_USAGE_DAYS}")
        days = self.usage.days(int(raw))
        return web.json_response([d.to_json() for d in days], dumps=_dumps)

    async def get_leaderboard(self, request: web.Request) -> web.Response:
        assert self.progression is not None
        limit = _query_limit(request, default=100, most=1000)
        if limit is None:
            return json_error(400, "limit must be a whole number from 1 to 1000")
        entries = self.progression.leaderboard(limit)
        if self.remote is not None:
            entries = self.remote.personas.leaderboard(entries, limit)
        return web.json_response([e.to_json() for e in entries], dumps=_dumps)

    async def get_projects(self, _request: web.Request) -> web.Response:
        """Every project (git repository) seen, with its worktrees' git state and panes."""
        assert self.projects is not None
        return web.json_response(await self.projects.all(), dumps=_dumps)

    async def get_project(self, request: web.Request) -> web.Response:
        assert self.projects is not None
        project_id = request.match_info["project_id"]
        data = await self.projects.get(project_id)
        if data is None:
            return json_error(404, f"no project with id {project_id[:40]!r}; see /api/projects")
        return web.json_response(data, dumps=_dumps)

    async def get_report(self, request: web.Request) -> web.Response:
        """The daily report: per project and per persona, for ?days=N (1: today)."""
        assert self.projects is not None
        raw = request.query.get("days", "1")
        if not raw.isdigit() or len(raw) > 3 or not 1 <= int(raw) <= MAX_DAYS:
            return json_error(400, f"days must be a whole number from 1 to {MAX_DAYS}")
        return web.json_response(self.projects.report(int(raw)).to_json(), dumps=_dumps)


def _query_limit(request: web.Request, default: int, most: int) -> int | None:
    raw = request.query.get("limit")
    if raw is None:
        return default
    return int(raw) if raw.isdigit() and 0 < len(raw) < 6 and 1 <= int(raw) <= most else None


def _path_int(request: web.Request, key: str) -> int | None:
    raw = request.match_info.get(key, "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _header_int(request: web.Request, key: str) -> int | None:
    raw = request.headers.get(key, "").strip()
    return int(raw) if raw.isdigit() and 0 < len(raw) < 10 else None


def _header_float(request: web.Request, key: str) -> float | None:
    raw = request.headers.get(key, "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 < value < 1e11 else None


def _header_pane(request: web.Request) -> str | None:
    raw = request.headers.get("X-Tmux-Pane", "").strip()
    return raw if _PANE_ID.match(raw) else None


def _header_key(request: web.Request) -> str | None:
    raw = request.headers.get("X-Hook-Id", "").strip()
    return raw if _DEDUPE_KEY.match(raw) else None
