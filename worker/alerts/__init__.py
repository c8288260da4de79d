"""Alerts, a library with no database: the messages, their rendering, the channels that
send them, and the delivery policy (instant, digest, throttle, quiet hours), retry
schedule, story fingerprints (SimHash) and feed-health rules the pipeline applies.

    build_channels(config.channels, network=policy)   channel objects by name
    channel.send(message)                              returns, or raises DeliveryError
    send_test(channel)                                 a test message; SendOutcome to print
    atom_feed(feed), json_feed(feed), entry_for(m)    a topic's alert feed (feedfile, console)
    decide(policy, now=, score=, released_last_hour=)  send | hold | digest
    retry_delay(attempts, error)                       next wait, or None: dead
    simhash(text), hamming(a, b), STORY_THRESHOLD      near-duplicate stories

The database side (stories, outbox, deliveries, digests, feed health) is in
``worker.pipeline``, which calls these. Documented for users in docs/alerts.md.
"""

from __future__ import annotations

import logging
from typing import Any

from worker.alerts._apprise import AppriseChannel
from worker.alerts._email import EmailChannel
from worker.alerts._feedfile import FeedFileChannel, TopicFeed, atom_feed, entry_for, json_feed
from worker.alerts._health import (
    FeedSnapshot,
    HealthChange,
    assess_feed,
    health_change,
    usual_interval,
)
from worker.alerts._policy import (
    Decision,
    Policy,
    decide,
    digest_period_key,
    effective_policy,
    next_digest_at,
    quiet_until,
)
from worker.alerts._render import RenderedEmail, Renderer
from worker.alerts._schedule import MAX_ATTEMPTS, RETRY_SCHEDULE, retry_delay
from worker.alerts._simhash import STORY_THRESHOLD, hamming, simhash, to_signed, to_unsigned
from worker.alerts._webhook import WebhookChannel, signed_headers
from worker.alerts.channels import (
    Channel,
    ConsoleChannel,
    JsonlChannel,
    SendOutcome,
    build_chat_channel,
    send_test,
)
from worker.alerts.message import (
    PAYLOAD_VERSION,
    AlertMessage,
    DigestMessage,
    Message,
    Snippet,
    Source,
    SystemMessage,
)

log = logging.getLogger(__name__)


def build_channels(channels_config: dict[str, Any], *, network: Any = None) -> dict[str, Channel]:
    """Channel objects for each configured channel (by name). ``network`` is the
    ``worker.sources.NetworkPolicy`` webhook URLs must pass (default: public addresses only).

    Secrets are read here from the environment or their files; a missing secret does
    not stop the process: that channel's deliveries fail with a clear error and retry."""
    from worker.config import (
        ConsoleChannel as ConsoleCfg,
    )
    from worker.config import (
        EmailChannel as EmailCfg,
    )
    from worker.config import (
        JsonlChannel as JsonlCfg,
    )
    from worker.config import (
        WebhookChannel as WebhookCfg,
    )
    from worker.config import (
        read_secret,
    )

    out: dict[str, Channel] = {}
    for name, cfg in channels_config.items():
        if isinstance(cfg, ConsoleCfg):
            out[name] = ConsoleChannel(name)
        elif isinstance(cfg, JsonlCfg):
            out[name] = JsonlChannel(name, cfg.path)
        elif isinstance(cfg, EmailCfg):
            out[name] = EmailChannel(
                name, to=cfg.to, sender=cfg.sender, host=cfg.host, port=cfg.port,
                security=cfg.security, username=cfg.username,
                password=read_secret(cfg.password_env, cfg.password_file,
                                     what=f"channels.{name}.password"),
                timezone=cfg.timezone, template_dir=cfg.template_dir,
            )
        elif isinstance(cfg, WebhookCfg):
            out[name] = WebhookChannel(
                name, url=cfg.url,
                secret=read_secret(cfg.secret_env, cfg.secret_file, what=f"channels.{name}.secret"),
                timeout=cfg.timeout, template_dir=cfg.template_dir, network=network,
            )
        elif (chat := build_chat_channel(name, cfg)) is not None:
            out[name] = chat
        else:  # pragma: no cover - the config union is closed
            log.warning("channel %s: unknown type %s", name, type(cfg).__name__)
    return out


__all__ = [
    "MAX_ATTEMPTS",
    "PAYLOAD_VERSION",
    "RETRY_SCHEDULE",
    "STORY_THRESHOLD",
    "AlertMessage",
    "AppriseChannel",
    "Channel",
    "ConsoleChannel",
    "Decision",
    "DigestMessage",
    "EmailChannel",
    "FeedFileChannel",
    "FeedSnapshot",
    "HealthChange",
    "JsonlChannel",
    "Message",
    "Policy",
    "RenderedEmail",
    "Renderer",
    "Snippet",
    "Source",
    "SystemMessage",
    "SendOutcome",
    "TopicFeed",
    "WebhookChannel",
    "assess_feed",
    "atom_feed",
    "build_channels",
    "decide",
    "digest_period_key",
    "effective_policy",
    "entry_for",
    "hamming",
    "health_change",
    "json_feed",
    "next_digest_at",
    "quiet_until",
    "retry_delay",
    "send_test",
    "signed_headers",
    "simhash",
    "to_signed",
    "to_unsigned",
    "usual_interval",
]
