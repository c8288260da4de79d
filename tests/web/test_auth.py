"""Who may use the console: nothing answers without auth but /healthz and /login; forms
need their CSRF token; bad passwords are throttled; tokens, Basic and the proxy header."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.conftest import free_port
from tests.seedsite import ROOT
from worker.store import ApiToken
from worker.web import WebSettings, create_app
from worker.web._serve import WebConfigError, check_listen

from .conftest import PASSWORD, csrf_of, login, session_for, settings_for, write_config


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str):  # type: ignore[no-untyped-def]
    return settings_for(sqlite_url, write_config(tmp_path))


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    return create_app(settings, WebSettings(password=PASSWORD, proxy_user_header="X-Remote-User",
                                            trusted_proxies="10.0.0.0/8"))


def _every_route(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for r in app.routes:
        # /feedback/{token}: a signed link from an alert, authorised by its token
        # (test_feedback_link_needs_a_valid_token)
        if not isinstance(r, Route) or r.path in ("/healthz", "/login", "/feedback/{token}"):
            continue
        path = re.sub(r"{(\w+):int}", "1", r.path)
        path = re.sub(r"{(\w+)}", "x", path)
        for method in sorted(r.methods or {"GET"}):
            if method != "HEAD":
                out.append((method, path))
    return out


def test_every_route_needs_auth_api_401_pages_to_login(app) -> None:
    client = TestClient(app)
    routes = _every_route(app)
    assert len(routes) > 40
    assert {("GET", "/held-back"), ("POST", "/held-back/1/feedback"), ("GET", "/api/v1/held-back"),
            ("POST", "/api/v1/held-back/1/feedback")} <= set(routes)
    for method, path in routes:
        r = client.request(method, path, follow_redirects=False)
        if path.startswith(("/api/", "/feeds/topics/")):  # feed readers cannot follow a login
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["status"] == 401 and r.headers["www-authenticate"].startswith("Basic")
        else:
            assert r.status_code == 303, (method, path, r.status_code)
            assert r.headers["location"].startswith("/login")


def test_healthz_and_login_answer_without_auth(app) -> None:
    client = TestClient(app)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/login").status_code == 200
    assert client.get("/static/htmx.min.js").status_code == 200


def test_feedback_link_needs_a_valid_token(app) -> None:
    client = TestClient(app)
    for method in ("GET", "POST"):
        r = client.request(method, "/feedback/1.good.forged", follow_redirects=False)
        assert r.status_code == 404 and "not valid" in r.text


def test_every_form_without_its_csrf_token_is_refused(app) -> None:
    client = TestClient(app)
    token = login(client)
    page_posts = [(m, p) for m, p in _every_route(app) if m == "POST" and not p.startswith("/api/")]
    assert len(page_posts) >= 12
    for method, path in page_posts:
        r = client.request(method, path, data={"x": "1"}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        r = client.request(method, path, data={"x": "1", "csrf_token": "forged"}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    # with the token the same form goes through (here: a preview of a query)
    r = client.post("/topics/preview", data={"csrf_token": token, "query": "Korea"})
    assert r.status_code == 200
    # a session-cookie API call that changes state needs the CSRF header too
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code == 403
    assert client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 201


def test_login_goes_on_to_its_own_pages_only(app) -> None:
    for nxt, where in (("/feeds?x=1", "/feeds?x=1"), ("//evil.example/", "/"), ("/\\evil.example", "/"),
                       ("https://evil.example/", "/")):
        client = TestClient(app)
        r = client.get("/login")
        r = client.post("/login", data={"csrf_token": csrf_of(r.text), "password": PASSWORD, "next": nxt},
                        follow_redirects=False)
        assert r.headers["location"] == where, nxt


def test_login_form_needs_its_csrf_token(app) -> None:
    client = TestClient(app)
    client.get("/login")
    r = client.post("/login", data={"password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403


def test_session_cookie_is_httponly_lax_and_secure_behind_https(app) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = TestClient(app, base_url=base)
        r = client.get("/login")
        r = client.post("/login", data={"csrf_token": csrf_of(r.text), "password": PASSWORD},
                        follow_redirects=False)
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert ("Secure" in cookie) is secure
        assert client.get("/").status_code == 200


def test_login_rotates_the_session_and_logout_ends_it(app) -> None:
    client = TestClient(app)
    client.get("/login")
    before = client.cookies.get("newsradar_session")
    csrf = login(client)
    assert client.cookies.get("newsradar_session") != before
    r = client.get("/login?next=/feeds", follow_redirects=False)  # logged in already: on to the page
    assert r.status_code == 303 and r.headers["location"] == "/feeds" and client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_settings(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = (request.getfixturevalue("postgres_url") if request.param == "postgres"
           else f"sqlite:///{tmp_path / 'console.db'}")
    return settings_for(url, write_config(tmp_path))


def test_a_session_outlives_a_console_restart_and_is_shared_by_two_consoles(any_db_settings) -> None:
    """Sessions live in the database: a second console process (or the same one after a
    restart) knows the session; a logout in one ends it in both; only the id's SHA-256 is
    stored; an expired session is refused."""
    import hashlib

    from worker.store import ConsoleSession

    web = WebSettings(password=PASSWORD)
    first, second = TestClient(create_app(any_db_settings, web)), TestClient(create_app(any_db_settings, web))
    csrf = login(first)
    sid = first.cookies.get("newsradar_session")
    second.cookies.set("newsradar_session", sid)
    assert second.get("/", follow_redirects=False).status_code == 200
    assert csrf_of(second.get("/settings").text) == csrf  # the same session, the same token
    with session_for(any_db_settings) as s:
        keys = set(s.scalars(select(ConsoleSession.id_hash)))
        assert hashlib.sha256(sid.encode()).hexdigest() in keys and sid not in keys
    second.post("/logout", data={"csrf_token": csrf})
    assert first.get("/", follow_redirects=False).status_code == 303  # ended everywhere
    # expiry: the store's clock moved past the session's end
    app = create_app(any_db_settings, web)
    client = TestClient(app)
    login(client)
    store = app.state.ctx.auth.sessions
    store.clock = lambda: time.time() + store.ttl_s + 1
    assert client.get("/", follow_redirects=False).status_code == 303


def test_repeated_bad_passwords_are_throttled(app) -> None:
    client = TestClient(app)
    auth = app.state.ctx.auth
    ticks = [1000.0]
    auth.throttle.clock = lambda: ticks[0]
    for _ in range(auth.throttle.attempts):
        r = client.get("/login")
        r = client.post("/login", data={"csrf_token": csrf_of(r.text), "password": "wrong"})
        assert r.status_code == 401 and "Wrong password" in r.text
    r = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf_of(r.text), "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # even the right one
    # Basic auth on the API is throttled from the same address
    assert client.get("/api/v1/feeds", auth=("admin", PASSWORD)).status_code == 429
    ticks[0] += auth.throttle.window_s + 1  # the window has passed
    r = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf_of(r.text), "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303


def test_api_takes_basic_and_bearer_tokens_stored_hashed(app, settings) -> None:
    client = TestClient(app)
    assert client.get("/api/v1/alerts", auth=("admin", "nope")).status_code == 401
    assert client.get("/api/v1/alerts", auth=("root", PASSWORD)).status_code == 401
    r = client.post("/api/v1/tokens", json={"name": "ci"}, auth=("admin", PASSWORD))
    assert r.status_code == 201
    token = r.json()["token"]
    anon = TestClient(app)
    for path in ("/api/v1/alerts", "/api/v1/topics", "/api/v1/feeds"):
        r = anon.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and isinstance(r.json(), list), path
    assert anon.get("/api/v1/feeds", headers={"Authorization": "Bearer nr_wrong"}).status_code == 401
    with session_for(settings) as s:
        stored = s.scalars(select(ApiToken)).all()
        assert [t.name for t in stored] == ["ci"] and stored[0].last_used_at is not None
        assert token not in stored[0].token_hash and len(stored[0].token_hash) == 64
    assert client.delete(f"/api/v1/tokens/{stored[0].id}", auth=("admin", PASSWORD)).status_code == 204
    assert anon.get("/api/v1/feeds", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_proxy_user_header_only_from_trusted_networks(app) -> None:
    trusted = TestClient(app, client=("10.1.2.3", 40000))
    assert trusted.get("/", headers={"X-Remote-User": "ana"}).status_code == 200
    assert trusted.get("/api/v1/feeds", headers={"X-Remote-User": "ana"}).status_code == 200
    other = TestClient(app, client=("192.0.2.7", 40000))
    assert other.get("/", headers={"X-Remote-User": "ana"}, follow_redirects=False).status_code == 303
    assert other.get("/api/v1/feeds", headers={"X-Remote-User": "ana"}).status_code == 401


def test_refuses_a_public_address_without_a_password() -> None:
    with pytest.raises(WebConfigError, match="without a password"):
        check_listen("0.0.0.0", WebSettings(password=None))
    assert check_listen("0.0.0.0", WebSettings(password="x")).password == "x"
    # loopback without one: a password is made for the run, never an open console
    assert check_listen("127.0.0.1", WebSettings(password=None)).read_password()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRADAR_WEB_")}
    res = subprocess.run([sys.executable, "-m", "worker.web", "--host", "0.0.0.0", "--port", "1"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert res.returncode == 2 and "without a password" in res.stderr


def _wait_port(port: int, proc: subprocess.Popen, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the console did not start")


def test_contract_serves_healthz_and_lists_with_basic_or_token(tmp_path: Path, sqlite_url: str) -> None:
    """NEWSRADAR_WEB_PASSWORD=secret … web --port P: /healthz 200; the three lists with
    Basic admin:secret or a token (made by `python -m worker.web token create`)."""
    port = free_port()
    env = {**os.environ, "NEWSRADAR_WEB_PASSWORD": "secret", "NEWSRADAR_DATABASE_URL": sqlite_url,
           "NEWSRADAR_CONFIG": str(write_config(tmp_path))}
    token = subprocess.run([sys.executable, "-m", "worker.web", "token", "create", "contract"],
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=True).stdout.strip()
    proc = subprocess.Popen([sys.executable, "-m", "worker.web", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_port(port, proc)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz").status_code == 200
        basic = "Basic " + base64.b64encode(b"admin:secret").decode()
        for path in ("/api/v1/alerts", "/api/v1/topics", "/api/v1/feeds"):
            assert httpx.get(base + path).status_code == 401
            for header in (basic, f"Bearer {token}"):
                r = httpx.get(base + path, headers={"Authorization": header})
                assert r.status_code == 200 and isinstance(r.json(), list), (path, r.text)
    finally:
        proc.terminate()
        proc.wait(20)


def test_pages_forbid_inline_script_framing_and_caching(app) -> None:
    client = TestClient(app)
    login(client)
    for path in ("/", "/login", "/api/v1/alerts"):
        r = client.get(path, follow_redirects=False)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert "onsubmit=" not in client.get("/feeds").text



def test_password_from_a_file_is_kept_only_as_a_hash(tmp_path: Path, settings) -> None:
    secret_file = tmp_path / "web-password"
    secret_file.write_text("from a file\n", encoding="utf-8")
    web = WebSettings(password=None, password_file=secret_file)
    app = create_app(settings, web)
    auth = app.state.ctx.auth
    assert auth.verify_password("from a file") and not auth.verify_password("from a file\n")
    assert "from a file" not in repr(auth.password) and "from a file" not in repr(web)
    client = TestClient(app)
    assert client.get("/api/v1/feeds", auth=("admin", "from a file")).status_code == 200
