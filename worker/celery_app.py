"""``celery -A worker.celery_app``: the service's Celery app (``worker.service.celery_app``)
at the path that deployments, docker-compose and the docs name."""

from worker.service.celery_app import QUEUES, app, make_celery

__all__ = ["QUEUES", "app", "make_celery"]
