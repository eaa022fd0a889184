"""The pages' shell: who is signed in, role checks answered by a 403 page, templates, static files.

Every page module builds its router with `page_router()` and takes the viewer as a dependency:
`Viewer` (anyone signed in), `SupervisorViewer` (CallCenterManager or Admin) or `AdminViewer`.
Someone not signed in is sent to `/login?next=<page>`; someone signed in without the role gets
the 403 page. `render` fills a template of `web/templates/` with what `base.html` needs (the
viewer, the navigation for their roles, the session's CSRF token for `static/api.js`).

This module's own routes: `/` (to the viewer's home or the sign-in page), `/login` and `/static/…`,
served from the package's files (no CDN, nothing fetched from elsewhere).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.routing import Match, Mount

from switchboard.api.auth import Principal, Role
from switchboard.api.server import Server
from switchboard.api.session import ApiProblem, SignedIn, current

__all__ = [
    "AdminViewer",
    "PageRefused",
    "PageRoute",
    "SupervisorViewer",
    "Viewer",
    "home_of",
    "page_router",
    "page_user",
    "render",
    "router",
    "viewer",
]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str
    role: Role | None
    """Who sees the link: None for everyone signed in."""


NAV = (
    NavItem("/ccp", "CCP", None),
    NavItem("/dashboard", "Dashboard", Role.SUPERVISOR),
    NavItem("/contacts", "Contacts", Role.SUPERVISOR),
    NavItem("/reports", "Reports", Role.SUPERVISOR),
    NavItem("/admin", "Admin", Role.ADMIN),
)
"""The pages in the top bar, shown by role (and only once a page is served)."""


class PageRefused(Exception):
    """A page dependency's answer instead of the page: the sign-in redirect or the 403 page."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PageRoute(APIRoute):
    """A route whose dependencies may answer with a page (`PageRefused`) instead of JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except PageRefused as refused:
                return refused.response

        return route


def page_router() -> APIRouter:
    """A router for HTML pages: role refusals answer as pages; pages stay out of the API docs."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _served_paths(request: Request) -> set[str]:
    """Which of the navigation's pages this server serves (a page module may be absent)."""
    served = set()
    for item in NAV:
        scope = {**request.scope, "method": "GET", "path": item.href}
        for route in request.app.router.routes:
            if isinstance(route, Mount) and route.path == "":
                continue  # the Connect API's catch-all
            if route.matches(scope)[0] is Match.FULL:
                served.add(item.href)
                break
    return served


def home_of(principal: Principal, served: set[str]) -> str:
    """Where a user lands: supervisors and admins on the dashboard, agents on the CCP."""
    if principal.can(Role.SUPERVISOR) and "/dashboard" in served:
        return "/dashboard"
    return "/ccp"


def render(
    request: Request,
    template: str,
    who: SignedIn | None,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """`template` filled with `context` and the shell's own (viewer, navigation, CSRF token)."""
    served = _served_paths(request)
    nav = []
    if who is not None:
        nav = [
            {"href": item.href, "label": item.label, "current": request.url.path == item.href}
            for item in NAV
            if item.href in served and (item.role is None or who.principal.can(item.role))
        ]
    html = (
        _environment()
        .get_template(template)
        .render(
            title=title,
            who=who,
            username=who.session.username if who else None,
            instance_alias=who.instance.alias if who else None,
            csrf=who.session.csrf if who else "",
            nav=nav,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


async def viewer(request: Request) -> SignedIn | None:
    """The signed-in user of a page request, or None."""
    try:
        return await current(request)
    except ApiProblem:
        return None


def page_user(*roles: Role) -> Callable[[Request], Awaitable[SignedIn]]:
    """A dependency: the signed-in viewer holding one of `roles` (any role when none is given).

    Not signed in: a redirect to `/login?next=<this page>`. Signed in without the role: the 403
    page, which names the page and what it needs.
    """

    async def dependency(request: Request) -> SignedIn:
        who = await viewer(request)
        if who is None:
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            raise PageRefused(RedirectResponse(f"/login?next={quote(target, safe='')}", 303))
        if roles and not any(who.principal.can(role) for role in roles):
            needs = " or ".join(_ROLE_NAMES[role] for role in roles)
            raise PageRefused(
                render(
                    request,
                    "refused.html",
                    who,
                    title="Not allowed",
                    status_code=403,
                    page=request.url.path,
                    needs=needs,
                    home=home_of(who.principal, _served_paths(request)),
                )
            )
        return who

    return dependency


_ROLE_NAMES = {
    Role.AGENT: "the Agent security profile",
    Role.SUPERVISOR: "the CallCenterManager or Admin security profile",
    Role.ADMIN: "the Admin security profile",
}

Viewer = Annotated[SignedIn, Depends(page_user())]
SupervisorViewer = Annotated[SignedIn, Depends(page_user(Role.SUPERVISOR))]
AdminViewer = Annotated[SignedIn, Depends(page_user(Role.ADMIN))]


def _safe_next(target: str | None) -> str | None:
    """A same-site path to return to after sign-in, or None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _static_files() -> dict[str, tuple[bytes, str]]:
    files = {}
    for path in sorted(STATIC.iterdir()):
        if path.is_file():
            media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if path.suffix == ".js":
                media = "text/javascript"
            files[path.name] = (path.read_bytes(), media)
    return files


def router(server: Server) -> APIRouter:
    """`/`, `/login` and `/static/{name}`."""
    routes = page_router()
    static = _static_files()

    @routes.get("/", response_class=HTMLResponse)
    async def root(request: Request) -> Response:
        who = await viewer(request)
        if who is None:
            return RedirectResponse("/login", 303)
        return RedirectResponse(home_of(who.principal, _served_paths(request)), 303)

    @routes.get("/login", response_class=HTMLResponse)
    async def login(
        request: Request, next_page: Annotated[str | None, Query(alias="next")] = None
    ) -> Response:
        who = await viewer(request)
        target = _safe_next(next_page)
        if who is not None:
            return RedirectResponse(target or home_of(who.principal, _served_paths(request)), 303)
        instances = sorted(
            ({"id": i.id, "alias": i.alias} for i in server.registry), key=lambda i: i["alias"]
        )
        return render(
            request,
            "login.html",
            None,
            title="Sign in",
            instances=instances,
            next=target or "",
            home_supervisor="/dashboard" if "/dashboard" in _served_paths(request) else "/ccp",
        )

    @routes.get("/static/{name}")
    async def static_file(name: str) -> Response:
        found = static.get(name)
        if found is None:
            return Response("Not found", 404, media_type="text/plain")
        body, media = found
        return Response(body, media_type=media, headers={"Cache-Control": "no-cache"})

    return routes
