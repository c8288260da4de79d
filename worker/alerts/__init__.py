"""Alerts: the message, its rendering, and the channels that send it."""

from __future__ import annotations

from worker.alerts.channels import Channel, ConsoleChannel, JsonlChannel
from worker.alerts.message import AlertMessage, Source


def build_channels(channels_config: dict) -> dict[str, Channel]:
    """Channel objects for each configured channel (by name)."""
    from worker.config import ConsoleChannel as ConsoleCfg, JsonlChannel as JsonlCfg

    out: dict[str, Channel] = {}
    for name, cfg in channels_config.items():
        if isinstance(cfg, ConsoleCfg):
            out[name] = ConsoleChannel(name)
        elif isinstance(cfg, JsonlCfg):
            out[name] = JsonlChannel(name, cfg.path)
        else:  # email / webhook: see worker/alerts (coming with the alerts issue)
            continue
    return out


__all__ = ["AlertMessage", "Channel", "ConsoleChannel", "JsonlChannel", "Source", "build_channels"]
