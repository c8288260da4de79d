"""The hostile-input corpus (tests/data/manifest.yaml), served by one LocalServer.

    from tests.helpers.corpus import load_corpus, serve_corpus

    corpus = load_corpus()
    with LocalServer() as srv:
        urls = serve_corpus(corpus, srv)          # name -> http://corpus.test:<port>/case/<name>
        policy = corpus.policy()                   # allowlists the NAME corpus.test only
        limits = corpus.limits()
        for case in corpus.cases: ...              # case.expect: what must be recorded

The corpus host name resolves to 127.0.0.1 through an injected resolver and is
allowlisted by name, so a redirect to the server's own IP (``{loopback}``) is refused
like any internal address would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.httpserver import LocalServer, Route
from worker.sources import FetchLimits, NetworkPolicy

DATA = Path(__file__).resolve().parent.parent / "data"
MANIFEST = DATA / "manifest.yaml"

__all__ = ["DATA", "MANIFEST", "Corpus", "CorpusCase", "load_corpus", "serve_corpus"]


@dataclass
class CorpusCase:
    name: str
    kind: str  # feed | page
    file: str | None
    status: int
    content_type: str | None
    headers: dict[str, str]
    serve: dict[str, Any]
    request: dict[str, Any]
    expect: dict[str, Any]

    def body(self) -> bytes:
        return (DATA / self.file).read_bytes() if self.file else b""

    def expected(self, key: str, port: int, default: Any = None) -> Any:
        """``expect[key]`` with ``{port}`` filled in (in strings and lists of strings)."""
        value = self.expect.get(key, default)
        if isinstance(value, str):
            return value.replace("{port}", str(port))
        if isinstance(value, list):
            return [v.replace("{port}", str(port)) if isinstance(v, str) else v for v in value]
        return value


@dataclass
class Corpus:
    host: str
    max_entries: int | None
    limit_args: dict[str, Any]
    cases: list[CorpusCase] = field(default_factory=list)

    def policy(self) -> NetworkPolicy:
        host = self.host

        def resolve(name: str, port: int) -> list[str]:
            if name == host:
                return ["127.0.0.1"]
            raise OSError(f"corpus resolver: no address for {name}")

        return NetworkPolicy(allowlist=(host,), resolver=resolve)

    def limits(self) -> FetchLimits:
        return FetchLimits(**self.limit_args)

    def url(self, server: LocalServer, name: str) -> str:
        return f"http://{self.host}:{server.port}/case/{name}"

    def case(self, name: str) -> CorpusCase:
        return next(c for c in self.cases if c.name == name)


def load_corpus(path: Path = MANIFEST) -> Corpus:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    defaults = doc.get("defaults", {})
    corpus = Corpus(
        host=defaults.get("host", "corpus.test"),
        max_entries=defaults.get("max_entries"),
        limit_args=dict(defaults.get("limits", {})),
    )
    names: set[str] = set()
    for raw in doc["cases"]:
        case = CorpusCase(
            name=raw["name"],
            kind=raw.get("kind", "feed"),
            file=raw.get("file"),
            status=int(raw.get("status", 200)),
            content_type=raw.get("content_type"),
            headers={str(k): str(v) for k, v in (raw.get("headers") or {}).items()},
            serve=dict(raw.get("serve") or {}),
            request=dict(raw.get("request") or {}),
            expect=dict(raw["expect"]),
        )
        if case.name in names:
            raise ValueError(f"{path}: duplicate case name {case.name!r}")
        if case.file and not (DATA / case.file).is_file():
            raise ValueError(f"{path}: case {case.name!r}: file {case.file} does not exist")
        names.add(case.name)
        corpus.cases.append(case)
    return corpus


def serve_corpus(corpus: Corpus, server: LocalServer) -> dict[str, str]:
    """Register every case on ``server``; returns case name -> URL (on the corpus host)."""
    urls: dict[str, str] = {}
    loopback = f"http://127.0.0.1:{server.port}"
    for case in corpus.cases:
        headers = dict(case.headers)
        serve = case.serve
        if "redirect" in serve:
            headers["Location"] = str(serve["redirect"]).replace("{loopback}", loopback)
        raw_body = False
        if "content_encoding" in serve:
            headers["Content-Encoding"] = str(serve["content_encoding"])
            raw_body = True
        server.route(
            f"/case/{case.name}",
            Route(
                status=case.status,
                body=case.body(),
                content_type=case.content_type,
                headers=headers,
                gzip=bool(serve.get("gzip")),
                raw_body=raw_body,
                drip=serve.get("drip"),
                not_modified_etag=serve.get("not_modified_etag"),
            ),
        )
        urls[case.name] = corpus.url(server, case.name)
    return urls
