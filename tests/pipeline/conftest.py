from __future__ import annotations

# the delivery tests send through the real SMTP server and webhook receiver of the
# channel tests
from tests.alerts.conftest import (  # noqa: F401
    receiver,
    secret_env,
    smtp_server,
    starttls_server,
    tls_cert,
    tls_server,
)
