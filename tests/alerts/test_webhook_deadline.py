"""A receiver that drips its answer cannot hold a delivery worker: webhook sends have a
total deadline (twice the channel's timeout), not only per-read timeouts."""

from __future__ import annotations

import pytest

from tests.helpers.httpserver import LocalServer, Route
from worker.alerts import WebhookChannel
from worker.config import Secret
from worker.errors import DeliveryError

from .conftest import SECRET
from .samples import alert_message


def test_dripping_receiver_is_cut_off_by_the_total_deadline(loopback_policy) -> None:
    with LocalServer() as srv:
        # every byte of the status line and headers arrives well within the read timeout
        url = srv.route("/hook", Route(status=200, body=b"ok", drip=0.1, drip_headers=True))
        ch = WebhookChannel("hook", url=url, secret=Secret(SECRET), timeout=0.5, network=loopback_policy)
        # without a total deadline the send succeeds, ~6 s later, once the headers are in
        with pytest.raises(DeliveryError) as err:
            ch.send(alert_message("hook"))
    assert err.value.code == "timeout" and not err.value.permanent
