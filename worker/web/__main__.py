"""``python -m worker.web [--host H] [--port P]`` and ``python -m worker.web token create NAME``:
the console without the CLI (tests; the CLI's ``newsradar web`` calls the same functions)."""

from __future__ import annotations

import argparse
import sys

from worker.config import Settings

from . import _actions
from ._serve import WebConfigError, serve


def token_create(name: str, settings: Settings) -> str:
    """Create an API token in the database and return it (shown once)."""
    from worker.store import make_engine, make_sessionmaker, session_scope, upgrade, utcnow  # noqa: PLC0415

    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            token, _ = _actions.create_token(s, name, utcnow())
    finally:
        engine.dispose()
    return token


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m worker.web", description="newsradar web console")
    sub = p.add_subparsers(dest="cmd")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    tok = sub.add_parser("token", help="API tokens")
    tok.add_argument("action", choices=["create"])
    tok.add_argument("name", nargs="?", default="api")
    args = p.parse_args(argv)
    settings = Settings()
    if args.cmd == "token":
        print(token_create(args.name, settings))
        return 0
    try:
        serve(args.host, args.port, settings)
    except WebConfigError as exc:
        print(f"newsradar web: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
