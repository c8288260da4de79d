"""The connection guard: resolve once, vet every address, connect to the vetted address.

It sits at the bottom of httpx, as an httpcore network backend, so the check is made on
the address actually connected to: no second DNS lookup happens between the check and
the connect (DNS rebinding), every redirect hop and every new pooled connection passes
through it, and httpcore still sends the original Host header and uses the host name
for TLS SNI and certificate verification.

The same backend also enforces the fetch's total deadline on every socket read and
write, so a server that drips one byte a second (even inside the headers) is cut off.
The policy and deadline of the fetch in progress travel in context variables, so one
pooled client can serve fetches with different policies.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import http.cookiejar
import ipaddress
import os
import socket
import ssl
import threading
import time
import typing
from collections.abc import Iterator

import httpcore
import httpx

from worker.errors import FetchError
from worker.sources._policy import (
    DEFAULT_LIMITS,
    DEFAULT_POLICY,
    FetchLimits,
    NetworkPolicy,
    check_address,
)

__all__ = ["BlockedAddress", "GuardedTransport", "guarded", "make_client"]

_policy_var: contextvars.ContextVar[NetworkPolicy | None] = contextvars.ContextVar(
    "newsradar_network_policy", default=None
)
_deadline_var: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "newsradar_fetch_deadline", default=None
)


class BlockedAddress(FetchError):
    """Raised from inside the transport; passes through httpx untranslated."""

    code = "blocked_address"
    permanent = True


class DeadlineExceeded(httpcore.ReadTimeout):
    """The fetch's total deadline passed; httpx maps it to a ReadTimeout."""


@contextlib.contextmanager
def guarded(policy: NetworkPolicy, deadline: float | None) -> Iterator[None]:
    """Within this block, guarded connections use ``policy`` and stop at ``deadline``
    (a ``time.monotonic()`` value)."""
    p = _policy_var.set(policy)
    d = _deadline_var.set(deadline)
    try:
        yield
    finally:
        _deadline_var.reset(d)
        _policy_var.reset(p)


def _bounded(timeout: float | None) -> float | None:
    deadline = _deadline_var.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlineExceeded("total deadline exceeded")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write is bounded by the fetch deadline."""

    def __init__(self, sock: socket.socket, host: str, address: str,
                 policy: NetworkPolicy, port: int | None = None) -> None:
        self._sock = sock
        self._host = host
        self._address = address
        self._port = port
        self._vetted = policy

    def _revet(self) -> None:
        # A pooled connection may be reused by a fetch with a stricter policy: check the
        # connected address again under the policy in force before sending anything.
        policy = _policy_var.get()
        if policy is None or policy is self._vetted or policy == self._vetted:
            return
        problem = check_address(self._host, self._address, policy, self._port)
        if problem:
            raise _blocked(self._host, self._address, problem, self._port)
        self._vetted = policy

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        bound = _bounded(timeout)
        try:
            self._sock.settimeout(bound)
            return self._sock.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "read timed out") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._revet()
        try:
            while buffer:
                self._sock.settimeout(_bounded(timeout))
                n = self._sock.send(buffer)
                buffer = buffer[n:]
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc) or "write timed out") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            self._sock.settimeout(_bounded(timeout))
            tls = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname)
        except TimeoutError as exc:
            self.close()
            raise httpcore.ConnectTimeout(str(exc) or "TLS handshake timed out") from exc
        except OSError as exc:  # ssl.SSLError is an OSError
            self.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return _DeadlineStream(tls, self._host, self._address, self._vetted, self._port)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "ssl_object" and isinstance(self._sock, ssl.SSLSocket):
            return self._sock._sslobj  # type: ignore[attr-defined]
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "socket":
            return self._sock
        if info == "is_readable":
            return _is_readable(self._sock)
        return None


def _blocked(host: str, address: str, problem: str, port: int | None = None) -> BlockedAddress:
    who = address if _same_ip(host, address) else f"{host} resolves to {address}, which"
    where = f" (port {port})" if port is not None else ""
    entry = f"{host}:{port}" if port is not None else host
    return BlockedAddress(
        f"{who}{where} is not public ({problem}); add {entry!r} to network.allowlist if "
        "this is deliberate",
        code="blocked_address",
        permanent=True,
    )


def _same_ip(host: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")) == ipaddress.ip_address(address)
    except ValueError:
        return False


def _is_readable(sock: socket.socket) -> bool:
    # httpcore asks this of idle pooled connections: readable means closed by the peer.
    import select

    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, default_policy: NetworkPolicy) -> None:
        self._default_policy = default_policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        policy = _policy_var.get() or self._default_policy
        addresses = _resolve(policy, host, port, timeout)
        for address in addresses:  # every address, not just the one we would use
            problem = check_address(host, address, policy, port)
            if problem:
                raise _blocked(host, address, problem, port)
        last_error: OSError | None = None
        for address in addresses:
            try:
                sock = socket.create_connection(
                    (address, port),
                    _bounded(timeout),
                    source_address=None if local_address is None else (local_address, 0),
                )
            except TimeoutError as exc:
                last_error = exc
                continue
            except OSError as exc:
                last_error = exc
                continue
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return _DeadlineStream(sock, host, address, policy, port)
        if isinstance(last_error, socket.timeout):
            raise httpcore.ConnectTimeout(f"connect to {host}:{port} timed out")
        raise httpcore.ConnectError(f"cannot connect to {host}:{port}: {last_error}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None
                            ) -> httpcore.NetworkStream:
        raise BlockedAddress(f"refused to connect to unix socket {path}", code="blocked_address")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


_RESOLVER_POOL: concurrent.futures.ThreadPoolExecutor | None = None
_RESOLVER_LOCK = threading.Lock()


def _resolver_pool() -> concurrent.futures.ThreadPoolExecutor:
    # Name lookups run here so that the connect timeout and the total deadline bound
    # them too (a slow DNS server would otherwise hold a fetch for its own timeouts).
    global _RESOLVER_POOL
    with _RESOLVER_LOCK:
        if _RESOLVER_POOL is None:
            _RESOLVER_POOL = concurrent.futures.ThreadPoolExecutor(
                max_workers=16, thread_name_prefix="newsradar-resolve")
        return _RESOLVER_POOL


def _forget_pool_after_fork() -> None:
    # Threads do not survive fork (Celery prefork): a child builds its own pool.
    global _RESOLVER_POOL, _RESOLVER_LOCK
    _RESOLVER_POOL = None
    _RESOLVER_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _resolve(policy: NetworkPolicy, host: str, port: int, timeout: float | None) -> list[str]:
    _bounded(timeout)  # already past the deadline: do not even resolve
    literal = host.strip("[]")
    try:
        return [str(ipaddress.ip_address(literal))]  # an IP literal needs no resolver
    except ValueError:
        pass
    bound = _bounded(timeout)
    try:
        future = _resolver_pool().submit(policy.resolve, host, port)
        addresses = [str(a) for a in future.result(timeout=bound) if a]
    except concurrent.futures.TimeoutError as exc:
        # getaddrinfo cannot be interrupted: the lookup finishes in its thread, unused.
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {bound:.3g}s") from exc
    except (OSError, UnicodeError, ValueError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
    return addresses


_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every connection passes the SSRF guard.

    ``policy`` is used when no fetch is in progress (e.g. a webhook sender using this
    client directly); inside ``fetch`` the fetch's own policy applies.
    """

    def __init__(
        self,
        policy: NetworkPolicy = DEFAULT_POLICY,
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = _POOL_LIMITS,
    ) -> None:
        # HTTPTransport's own __init__ is skipped: it would build a second pool and SSL
        # context; everything it does at request time goes through ``self._pool``.
        self.policy = policy
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(verify),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )


_DEFAULT_SSL: ssl.SSLContext | None = None


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds; one verifying context is shared
    # (SSLContext is safe to share between threads once configured).
    global _DEFAULT_SSL
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is not True:
        return httpx.create_ssl_context(verify=verify, trust_env=False)
    if _DEFAULT_SSL is None:
        _DEFAULT_SSL = httpx.create_ssl_context(verify=True, trust_env=False)
    return _DEFAULT_SSL


def make_client(
    limits: FetchLimits = DEFAULT_LIMITS,
    policy: NetworkPolicy = DEFAULT_POLICY,
    *,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An httpx client for newsradar: guarded transport, timeouts, User-Agent, no env
    proxies, no automatic redirects (``fetch`` follows them itself, re-checking each)."""
    return httpx.Client(
        transport=GuardedTransport(policy, verify=verify),
        timeout=httpx.Timeout(
            connect=limits.connect_timeout,
            read=limits.read_timeout,
            write=limits.read_timeout,
            pool=limits.connect_timeout,
        ),
        headers={"User-Agent": limits.user_agent},
        cookies=_no_cookies(),
        follow_redirects=False,
        trust_env=False,
    )


def _no_cookies() -> http.cookiejar.CookieJar:
    # A shared client must not carry one site's cookies into another fetch (or grow a
    # jar forever); fetch keeps the cookies of one redirect chain itself.
    return http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def is_guarded(client: httpx.Client) -> bool:
    """True if every request ``client`` makes goes through the guard."""
    transport = getattr(client, "_transport", None)
    mounts = getattr(client, "_mounts", {}) or {}
    return isinstance(transport, GuardedTransport) and all(
        t is None or isinstance(t, GuardedTransport) for t in mounts.values()
    )
