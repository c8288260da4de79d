"""CLI commands of the service: ``newsradar worker``, ``newsradar beat``, ``newsradar health``.

``register(app)`` adds them as top-level commands of the main CLI (``worker.cli.app``).
Celery is imported only when a command runs, so ``newsradar --help`` stays fast.
"""

from __future__ import annotations

import json
import os
from typing import Any

import typer

__all__ = ["app", "beat", "health", "register", "worker"]

app = typer.Typer(help="Service mode: Celery workers, beat and health checks.", no_args_is_help=True)


def worker(
    queues: str = typer.Option(
        "poll,process,deliver", "--queues", "-Q", help="Comma-separated queues to consume."
    ),
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", help="Processes (prefork) or threads; default: one per CPU."
    ),
    pool: str = typer.Option(
        "prefork", "--pool", "-P",
        help="prefork for CPU-bound 'process'; threads for I/O-bound 'poll' and 'deliver'.",
    ),
    loglevel: str = typer.Option("info", "--loglevel", "-l", help="debug, info, warning, error."),
    hostname: str | None = typer.Option(
        None, "--hostname", "-n", help="Worker node name (default: celery@<host>)."
    ),
    max_tasks_per_child: int | None = typer.Option(
        None, "--max-tasks-per-child", help="Recycle a prefork child after this many tasks."
    ),
) -> None:
    """Run a Celery worker on the given queues (scale by starting more, on any machine
    that reaches the same Redis and PostgreSQL). Serves Prometheus metrics on
    NEWSRADAR_METRICS_PORT."""
    from worker.service.celery_app import app as celery

    if "process" in [q.strip() for q in queues.split(",")] and pool != "prefork":
        # docs/service.md, "Where the CPU budget is enforced"
        typer.echo(f"warning: the 'process' queue on a {pool} pool: an article over its CPU "
                   "budget is stopped only at the stages' checkpoints (some tenths of a second "
                   "late), and Celery's time limits do not apply; run 'process' on prefork",
                   err=True)
    argv = ["worker", f"--queues={queues}", f"--pool={pool}", f"--loglevel={loglevel}"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    if max_tasks_per_child:
        argv.append(f"--max-tasks-per-child={max_tasks_per_child}")
    celery.worker_main(argv)


def beat(
    loglevel: str = typer.Option("info", "--loglevel", "-l", help="debug, info, warning, error."),
) -> None:
    """Run beat: sends the tick every NEWSRADAR_TICK_INTERVAL seconds. Safe to run more
    than one: only the holder of the Redis leader lock sends, the others stand by."""
    from worker.service.celery_app import app as celery

    celery.start(["beat", f"--loglevel={loglevel}"])


def health(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    max_queue: int | None = typer.Option(
        None, "--max-queue", help="Fail when a queue holds more than this many messages."
    ),
    role: str = typer.Option(
        "all", "--role",
        help="all: the whole stack (ticks recent, so beat and a poll worker run); beat: this beat "
             "(a beat holds the leader lock), whether or not a worker runs the ticks; worker: this "
             "container's Celery worker answers a ping (no `celery -A`, so a worker.py in the "
             "working directory cannot shadow the app).",
    ),
    node: str = typer.Option(
        "celery", "--node",
        help="--role worker: the node name's prefix, as in the worker's --hostname NAME@%h "
             "(io and cpu in docker-compose.yml's queue layout).",
    ),
) -> None:
    """Check the database, Redis, the last beat tick and the queue depths.
    Exit status 0 when healthy, 1 otherwise (usable as a container healthcheck)."""
    from worker.service._health import Check, check_health

    if role not in ("all", "beat", "worker"):
        typer.echo(f"error: --role: expected all, beat or worker (got {role!r})", err=True)
        raise typer.Exit(2)
    report = check_health(max_queue=max_queue)
    if role != "all":
        reachable = any(c.name == "redis" and c.ok for c in report.checks)
        report.checks = [c for c in report.checks if c.name != "beat"]
        if role == "beat":
            report.checks.append(_beat_leader(Check) if reachable else Check("beat", False, "unknown: Redis unreachable"))
        else:
            report.checks.append(_worker_ping(Check, node))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for c in report.checks:
            mark = "ok  " if c.ok else "FAIL"
            typer.echo(f"{mark} {c.name:<16} {c.detail}")
        typer.echo("healthy" if report.ok else "unhealthy")
    raise typer.Exit(0 if report.ok else 1)


def _beat_leader(check: Any) -> Any:
    """A beat process is alive and leading: the leader lock (renewed by the leading beat
    every third of its lease) is held."""
    from worker.config import get_settings
    from worker.service._beat import LEADER_KEY
    from worker.service._redis import redis_client

    holder = redis_client(get_settings().redis_url).get(LEADER_KEY)
    if holder is None:
        return check("beat", False, "no beat holds the leader lock: is `newsradar beat` running?")
    name = holder.decode() if isinstance(holder, bytes) else str(holder)
    return check("beat", True, f"leader lock held by {name}")


def _worker_ping(check: Any, node: str = "celery") -> Any:
    import socket

    from worker.service.celery_app import app as celery

    name = f"{node}@{socket.gethostname()}"
    replies = celery.control.ping(destination=[name], timeout=10.0)
    ok = any(name in r for r in replies)
    return check("worker", ok, f"{name} answered a ping" if ok else f"{name} did not answer a ping")


def register(main: typer.Typer) -> None:
    """Add ``worker``, ``beat`` and ``health`` as top-level commands of ``main``."""
    for name, fn in (("worker", worker), ("beat", beat), ("health", health)):
        # one paragraph: the docstrings' line breaks would show in --help
        main.command(name, help=" ".join((fn.__doc__ or "").split()))(fn)


register(app)


if __name__ == "__main__":  # python -m worker.cli.service ...
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
