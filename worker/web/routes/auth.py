"""Log in and out: the one admin password, throttled per client address."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .._auth import CSRF_FIELD, SESSION_COOKIE, client_addr
from .._context import ctx_of, render


def _cookie(request: Request, response: Response, sid: str) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", secure=secure, path="/",
                        max_age=int(ctx_of(request).auth.sessions.ttl_s))


def _safe_next(value: str | None) -> str:
    # only a path on this site: never an open redirect
    if (not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value
            or urlsplit(value).netloc):
        return "/"
    return value


async def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    auth = ctx_of(request).auth
    # keep the browser's pre-session if it has one: another tab (or a favicon request
    # redirected here) must not invalidate the form already on screen
    sid = request.cookies.get(SESSION_COOKIE) or ""
    s = auth.sessions.get(sid)
    if s is not None and s.user is not None and status == 200:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    if s is None or s.user is not None:
        sid, s = auth.sessions.new(user=None)
    response = render(request, "login.html", code=status, error=error, login_csrf=s.csrf,
                      next=_safe_next(request.query_params.get("next")),
                      no_password=auth.password is None)
    _cookie(request, response, sid)
    return response


async def login(request: Request) -> Response:
    auth = ctx_of(request).auth
    form = await request.form()
    pre = auth.sessions.get(request.cookies.get(SESSION_COOKIE))
    token = str(form.get(CSRF_FIELD) or "")
    if pre is None or not token or not hmac.compare_digest(token, pre.csrf):
        return Response("403: missing or wrong CSRF token (reload the login page)", status_code=403)
    addr = client_addr(request)
    wait = auth.throttle.retry_after(addr)
    if wait > 0:
        response = await login_form(request, f"Too many failed logins: try again in {int(wait) + 1} s.", 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    if not auth.verify_password(str(form.get("password") or "")):
        auth.throttle.failed(addr)
        return await login_form(request, "Wrong password.", 401)
    auth.throttle.succeeded(addr)
    auth.sessions.drop(request.cookies.get(SESSION_COOKIE))
    sid, _ = auth.sessions.new(user="admin")  # a new id after login: no session fixation
    response = RedirectResponse(_safe_next(str(form.get("next") or "/")), status_code=303)
    _cookie(request, response, sid)
    return response


async def logout(request: Request) -> Response:
    ctx_of(request).auth.sessions.drop(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
