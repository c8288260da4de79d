"""``serve(host, port, settings)``: the console under uvicorn, refusing to listen beyond
loopback without a password."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets

from worker.config import Settings

from ._auth import WebSettings

log = logging.getLogger(__name__)


class WebConfigError(ValueError):
    """The console cannot start as asked (a public address without a password)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, web: WebSettings) -> WebSettings:
    """The settings to serve with. Beyond loopback a password is required; on loopback
    without one, a random password is made and logged once (nothing answers without auth)."""
    if web.read_password():
        return web
    if not is_loopback(host):
        raise WebConfigError(
            f"refusing to listen on {host} without a password: set NEWSRADAR_WEB_PASSWORD "
            "or NEWSRADAR_WEB_PASSWORD_FILE (or listen on 127.0.0.1)")
    password = secrets.token_urlsafe(12)
    log.warning("no NEWSRADAR_WEB_PASSWORD set: the console's password for this run is %s", password)
    print(f"newsradar web: no NEWSRADAR_WEB_PASSWORD set; log in with the password {password}", flush=True)
    return web.model_copy(update={"password": password, "password_file": None})


def serve(host: str = "127.0.0.1", port: int = 8080, settings: Settings | None = None,
          web: WebSettings | None = None) -> None:
    """Run the console until interrupted. ``settings`` gives the database and config
    file (default: from the environment, as every command)."""
    import uvicorn  # noqa: PLC0415 - only the console needs it

    from ._app import create_app  # noqa: PLC0415

    settings = settings or Settings()
    web = check_listen(host, web or WebSettings())
    app = create_app(settings, web)
    proxies = web.trusted_proxies or "127.0.0.1"
    # from here on the password exists only as the app's hash: not in these settings, and
    # not in the environment that anything started from this process would inherit
    del web
    os.environ.pop("NEWSRADAR_WEB_PASSWORD", None)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=proxies,
                log_level="info", access_log=False)
