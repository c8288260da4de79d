"""The webhook channel: a JSON POST signed the Standard Webhooks way.

Headers: ``webhook-id`` (stable per alert and channel: receivers deduplicate on it),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,<base64
HMAC-SHA256 of "id.timestamp.body">`` with the channel's ``whsec_`` secret, read from
the environment or a file). The exact bytes signed are the bytes sent.

Outcomes: 2xx is success. 410 Gone is permanent and disables the endpoint (the
pipeline records it in ``channel_state``, ``alerts list`` shows it). 429, 5xx, other
4xx, timeouts and network errors are retried, honouring ``Retry-After``. Redirects
are not followed (a 3xx is a failure): following them would let a receiver point
newsradar anywhere.

SSRF: the URL goes through ``worker.alerts._http.webhook_client``, the one place where
the network guard of ``worker.sources`` plugs in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from worker.alerts._http import webhook_client
from worker.alerts._render import Renderer
from worker.alerts.message import Message
from worker.config import Secret
from worker.errors import DeliveryError, ErrorCode, FetchError
from worker.sources import NetworkPolicy, guarded, parse_retry_after

__all__ = ["WebhookChannel", "signed_headers"]

USER_AGENT = "newsradar-webhooks/1 (+https://github.com/newsradar/newsradar)"


def signed_headers(secret: Secret, msg_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``at`` (aware)."""
    # standardwebhooks relabels a timestamp's zone instead of converting: give it UTC.
    at = at.astimezone(UTC)
    signature = Webhook(secret.get()).sign(msg_id, at, body.decode("utf-8"))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


class WebhookChannel:
    def __init__(
        self,
        name: str,
        *,
        url: str,
        secret: Secret | None,
        timeout: float = 10.0,
        template_dir: str | None = None,
        client: httpx.Client | None = None,
        network: object | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self.renderer = Renderer(template_dir)
        self._client = client
        self._network = network
        self._clock = clock

    def __repr__(self) -> str:
        return f"WebhookChannel({self.name!r}, {self.url!r})"

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = webhook_client(self._network, timeout=self.timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def send(self, message: Message) -> None:
        where = f"webhook channel {self.name} ({self.url})"
        if self._secret is None:
            # Not permanent: setting the variable and restarting lets the retries through.
            raise DeliveryError(f"{where}: no signing secret (set secret_env or secret_file)",
                                code=ErrorCode.NO_SECRET)
        body = self.renderer.webhook_body(message)
        try:
            headers = signed_headers(self._secret, message.message_id, body, self._clock())
        except Exception as exc:  # noqa: BLE001 - a malformed secret: say so without showing it
            raise DeliveryError(f"{where}: cannot sign with the configured secret "
                                f"(expected 'whsec_' + base64): {exc.__class__.__name__}",
                                code=ErrorCode.BAD_SECRET, permanent=True) from None
        headers.update({"content-type": "application/json", "user-agent": USER_AGENT})
        try:
            # Streamed: only the status, headers and a short excerpt of the answer are
            # read, so a receiver answering with a huge body cannot fill our memory.
            # A total deadline too (per-read timeouts alone let a receiver that drips
            # its answer hold a delivery worker indefinitely).
            deadline = time.monotonic() + 2 * self.timeout
            policy = self._network if isinstance(self._network, NetworkPolicy) else NetworkPolicy()
            with guarded(policy, deadline), self._http().stream(
                    "POST", self.url, content=body, headers=headers, timeout=self.timeout) as response:
                status = response.status_code
                retry_after_header = response.headers.get("retry-after")
                excerpt = "" if 200 <= status < 300 else _excerpt(response)
        except FetchError as exc:  # the network guard refused the address
            raise DeliveryError(f"{where}: {exc}", code=exc.code, permanent=exc.permanent) from exc
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{where}: timed out after {self.timeout:g}s", code=ErrorCode.TIMEOUT) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{where}: {exc.__class__.__name__}: {exc}", code=ErrorCode.NETWORK) from exc
        if 200 <= status < 300:
            return
        retry_after = parse_retry_after(retry_after_header, now=self._clock())
        if status == 410:
            raise DeliveryError(f"{where}: 410 Gone: the receiver asked us to stop; "
                                "endpoint disabled", code=ErrorCode.GONE, permanent=True, status_code=410)
        if status == 429:
            code = ErrorCode.RATE_LIMITED
        elif status >= 500:
            code = ErrorCode.HTTP_5XX
        elif 300 <= status < 400:
            code = ErrorCode.REDIRECT
        else:
            code = ErrorCode.HTTP_4XX
        raise DeliveryError(f"{where}: HTTP {status}{excerpt}", code=code,
                            retry_after=retry_after, status_code=status)


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The start of an error answer, for the delivery's last error."""
    data = b""
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= 4 * limit:
                break
    except httpx.HTTPError:
        pass
    text = data.decode("utf-8", "replace").strip().replace("\n", " ")
    return f": {text[:limit]}" if text else ""
