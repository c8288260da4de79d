"""The console's routes, one module per page; each page's /api/v1 twin sits beside it and
calls the same ``_actions`` function."""

from __future__ import annotations

from . import alerts, auth, deliveries, feeds, held_back, meta, search, topic_feeds, topics

ROUTES = [*auth.routes, *alerts.routes, *held_back.routes, *feeds.routes, *deliveries.routes, *topics.routes,
          *search.routes, *meta.routes, *topic_feeds.routes]
