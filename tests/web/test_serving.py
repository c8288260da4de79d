"""The console over real HTTP (uvicorn): a slow discovery fetch does not hold up other
requests."""

from __future__ import annotations

import threading

import httpx

from tests.helpers.httpserver import Route

from .conftest import PASSWORD, Console, Site


def test_a_slow_feed_discovery_does_not_block_other_requests(console: Console, site: Site) -> None:
    release = threading.Event()
    reached = threading.Event()

    def slow(info):  # type: ignore[no-untyped-def]
        reached.set()
        release.wait(60)  # answers only when the test says so
        from tests.helpers.httpserver import Reply  # noqa: PLC0415

        return Reply(404, b"gone")

    url = site.server.route("/slow.xml", Route(handler=slow))
    result: dict[str, httpx.Response] = {}
    adder = threading.Thread(target=lambda: result.setdefault("r", httpx.post(
        f"{console.url}/api/v1/feeds", json={"url": url}, auth=("admin", PASSWORD), timeout=90)))
    adder.start()
    try:
        assert reached.wait(60), "the console never fetched the feed"
        # the add is waiting on the slow site; the console still answers
        assert httpx.get(f"{console.url}/healthz", timeout=30).status_code == 200
        r = httpx.get(f"{console.url}/api/v1/topics", auth=("admin", PASSWORD), timeout=30)
        assert r.status_code == 200 and adder.is_alive()
    finally:
        release.set()
        adder.join(60)
    assert result["r"].status_code == 422 and "not_found" in result["r"].json()["detail"]
