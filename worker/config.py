"""Configuration: one YAML file (feeds, lists, topics, channels, network) plus
``NEWSRADAR_*`` environment settings (database URL, Redis URL, config path).

Every problem is reported at once, each naming the file, the line, the key path and
what was expected::

    config/newsradar.yaml:12: feeds[0].poll_interval: expected a duration like 900, '15m' or '1h' (got 'soon')

Secrets never live in the YAML file: channels name an environment variable
(``password_env``, ``secret_env``) or a file (``password_file``, ``secret_file``)
and ``Secret`` keeps the value out of every ``repr``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.allowlist import parse_allow_entry
from worker.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/newsradar.yaml")
DEFAULT_DATABASE_URL = "sqlite:///var/newsradar.db"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.I)
_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> float:
    """900, '900', '15m', '1h', '2d' -> seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 900, '15m' or '1h'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"expected a duration like 900, '15m' or '1h' (got {value!r})")
        seconds = float(m.group(1)) * _UNITS[m.group(2).lower() if m.group(2) else None]
    if seconds <= 0:
        raise ValueError("expected a positive duration")
    return seconds


Duration = Annotated[float, Field(description="seconds, or '15m' / '1h' / '1d'")]


class Secret:
    """A secret value that never shows in repr/str/logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def read_secret(env: str | None, file: str | None, *, what: str) -> Secret | None:
    """Read a secret from an environment variable or a file; None if neither is set."""
    from worker.redact import register_secret

    if env:
        value = os.environ.get(env)
        if value:
            register_secret(value)
            return Secret(value)
    if file:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
            register_secret(value)
            return Secret(value)
        except OSError as exc:
            raise ConfigError([f"{what}: cannot read secret file {file}: {exc.strerror}"]) from exc
    return None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Model):
    url: str
    name: str | None = None
    poll_interval: float = 900.0
    enabled: bool = True

    @field_validator("poll_interval", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if not re.match(r"^https?://[^/\s]+", v, re.I):
            raise ValueError(f"expected an http(s) URL (got {v!r})")
        return v


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _check_clock(v: str) -> str:
    if not _CLOCK.match(v.strip()):
        raise ValueError(f"expected a time of day like '08:00' (got {v!r})")
    return v.strip()


def _check_timezone(v: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected an IANA time zone like 'Europe/Paris' (got {v!r})") from None
    return v


class DigestSchedule(_Model):
    """When digests go out: ``hourly`` (at minute ``at``'s minutes past each hour) or
    ``daily`` at ``at``, both in ``timezone``."""

    every: Literal["hourly", "daily"] = "hourly"
    at: str = "08:00"
    timezone: str = "UTC"

    _at = field_validator("at")(classmethod(lambda cls, v: _check_clock(v)))
    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))


class QuietHours(_Model):
    """Alerts are held from ``start`` to ``end`` (may span midnight) in ``timezone``,
    unless their score reaches the topic's ``urgent_min_score``."""

    start: str
    end: str
    timezone: str = "UTC"

    _start = field_validator("start")(classmethod(lambda cls, v: _check_clock(v)))
    _end = field_validator("end")(classmethod(lambda cls, v: _check_clock(v)))
    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))


class ChannelPolicy(_Model):
    """Per-channel overrides of a topic's delivery policy (unset keys keep the topic's)."""

    mode: Literal["instant", "digest"] | None = None
    digest: DigestSchedule | None = None
    max_per_hour: int | None = Field(default=None, ge=1)
    quiet_hours: QuietHours | None = None
    urgent_min_score: float | None = None


class FeedHealthConfig(_Model):
    """System alerts about feeds: on ``channels`` (none: off) when a feed fails
    ``failures`` polls in a row, or brings no new entry for ``silence_factor`` times its
    usual interval between entries (never less than ``min_silence``)."""

    channels: list[str] = Field(default_factory=list)
    failures: int = Field(default=5, ge=1)
    silence_factor: float = Field(default=10.0, gt=1)
    min_silence: float = 6 * 3600.0

    @field_validator("min_silence", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)


class TopicConfig(_Model):
    id: str
    name: str | None = None
    query: str
    min_score: float = 0.0
    channels: list[str] = Field(default_factory=list)
    enabled: bool = True
    # Delivery policy (see docs/alerts.md): applies to every channel of the topic.
    mode: Literal["instant", "digest"] = "instant"
    max_per_hour: int | None = Field(default=None, ge=1)
    urgent_min_score: float | None = None
    digest: DigestSchedule = DigestSchedule()
    quiet_hours: QuietHours | None = None
    channel_policy: dict[str, ChannelPolicy] = Field(default_factory=dict)
    # Relevance (docs/relevance.md): is the story ABOUT the topic? ``off`` keeps the
    # gate's behaviour exactly; salience needs only the query, similarity joins with a
    # description or examples. Examples: file paths relative to the config file, or ids
    # of stored articles (integers).
    description: str = ""
    examples: list[str | int] = Field(default_factory=list)
    counter_examples: list[str | int] = Field(default_factory=list)
    relevance: bool = True
    min_relevance: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("relevance", mode="before")
    @classmethod
    def _on_off(cls, v: Any) -> Any:
        # YAML 1.1 reads bare on/off as booleans already; accept the quoted words too
        if isinstance(v, str) and v.strip().lower() in ("on", "off"):
            return v.strip().lower() == "on"
        if not isinstance(v, bool):
            raise ValueError(f"expected on or off (got {v!r})")
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", v):
            raise ValueError(f"expected letters, digits, '-', '_' or '.' (got {v!r})")
        return v

    @property
    def display_name(self) -> str:
        return self.name or self.id


class ConsoleChannel(_Model):
    type: Literal["console"]


class JsonlChannel(_Model):
    type: Literal["jsonl"]
    path: str


class EmailChannel(_Model):
    type: Literal["email"]
    to: list[str]
    sender: str = "newsradar@localhost"
    host: str = "localhost"
    port: int = 25
    security: Literal["plain", "starttls", "tls"] = "plain"
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    timezone: str = "UTC"
    template_dir: str | None = None


class WebhookChannel(_Model):
    type: Literal["webhook"]
    url: str
    secret_env: str | None = None
    secret_file: str | None = None
    timeout: float = 10.0
    template_dir: str | None = None


class AppriseChannel(_Model):
    """Chat and push targets through Apprise (Slack, Teams, Telegram, Matrix, ntfy, ...).

    ``urls`` are Apprise URLs written in the file (for targets without a token, say a
    self-hosted ntfy); URLs that carry a token come from ``urls_env`` (an environment
    variable) or ``urls_file`` (a file), one or more URLs separated by spaces, commas or
    lines, and are redacted like every other secret. Every URL of the channel gets
    every message; ``format`` overrides the per-target choice (markdown where the
    target supports it)."""

    type: Literal["apprise"]
    urls: list[str] = Field(default_factory=list)
    urls_env: str | None = None
    urls_file: str | None = None
    timeout: float = Field(default=10.0, gt=0)
    format: Literal["auto", "text", "markdown", "html"] = "auto"
    timezone: str = "UTC"

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))

    @field_validator("urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if "://" not in url:
                raise ValueError(f"expected an Apprise URL like 'ntfy://host/topic' (got {url!r})")
        return [u.strip() for u in v]


class FeedFileChannel(_Model):
    """A feed of alerts per topic, written to files in ``path`` (a directory):
    ``<topic>.atom`` (Atom) and/or ``<topic>.json`` (JSON Feed 1.1), the newest
    ``max_entries`` alerts each, so that any feed reader becomes an alert client."""

    type: Literal["feedfile"]
    path: str
    formats: list[Literal["atom", "json"]] = Field(
        default_factory=lambda: ["atom", "json"],  # type: ignore[arg-type]
        min_length=1,
    )
    max_entries: int = Field(default=50, ge=1, le=1000)
    title: str = "newsradar"


ChannelConfig = Annotated[
    ConsoleChannel | JsonlChannel | EmailChannel | WebhookChannel | AppriseChannel | FeedFileChannel,
    Field(discriminator="type"),
]


class NetworkConfig(_Model):
    """Which non-public addresses may be fetched (tests and deliberate local use)."""

    allow_private: bool = False
    allowlist: list[str] = Field(default_factory=list)

    @field_validator("allowlist")
    @classmethod
    def _entries(cls, v: list[str]) -> list[str]:
        for item in v:
            parse_allow_entry(item)  # ValueError names the entry and what is wrong
        return v


class RunConfig(_Model):
    interval: float = 60.0
    max_entries_per_poll: int = 200
    fetch_concurrency: int = 4
    # CPU seconds one article may use to be cleaned and matched (issue 12); over it, the
    # article fails with over_budget and the run goes on. 0 turns the budget off.
    article_cpu_seconds: float = Field(default=10.0, ge=0)

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)


class RetentionConfig(_Model):
    """How long stored articles are kept. ``text_after``: an article's page text
    (text, description, feed summary) is removed this long after it was stored;
    ``article_after``: the article itself is removed, unless an alert was raised for it
    (alerts, stories and their fingerprints stay). Unset: kept for ever. Applied in
    batches of ``batch`` rows by the periodic work (``newsradar db prune --dry-run``)."""

    text_after: float | None = None
    article_after: float | None = None
    batch: int = Field(500, ge=1, le=100_000)

    @field_validator("text_after", "article_after", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float | None:
        return None if v is None else parse_duration(v)


class Config(_Model):
    feeds: list[FeedConfig] = Field(default_factory=list)
    lists: dict[str, list[str]] = Field(default_factory=dict)
    topics: list[TopicConfig] = Field(default_factory=list)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    network: NetworkConfig = NetworkConfig()
    run: RunConfig = RunConfig()
    feed_health: FeedHealthConfig = FeedHealthConfig()
    retention: RetentionConfig = RetentionConfig()

    # The folder of the config file: topic example paths are relative to it.
    _base_dir: str = PrivateAttr(".")

    @property
    def base_dir(self) -> str:
        return self._base_dir

    def topic(self, topic_id: str) -> TopicConfig | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def example_path(self, entry: str) -> Path:
        p = Path(entry).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p


def _cross_ref_problems(data: dict[str, Any]) -> list[tuple[tuple, str]]:
    """References between sections (topic -> channel) and duplicates, checked on the
    raw data so that they are reported together with every other problem."""
    problems: list[tuple[tuple, str]] = []
    channels = data.get("channels")
    channel_names = set(channels) if isinstance(channels, dict) else set()
    topics = data.get("topics")
    seen: dict[str, int] = {}
    for i, t in enumerate(topics if isinstance(topics, list) else []):
        if not isinstance(t, dict):
            continue
        tid = t.get("id")
        if isinstance(tid, str):
            if tid in seen:
                problems.append((("topics", i, "id"), f"duplicate topic id {tid!r} (also topics[{seen[tid]}])"))
            seen.setdefault(tid, i)
        chans = t.get("channels")
        for j, ch in enumerate(chans if isinstance(chans, list) else []):
            if isinstance(ch, str) and ch not in channel_names:
                known = ", ".join(sorted(channel_names)) or "none defined"
                problems.append((("topics", i, "channels", j), f"unknown channel {ch!r} (channels: {known})"))
    feeds = data.get("feeds")
    urls: dict[str, int] = {}
    for i, f in enumerate(feeds if isinstance(feeds, list) else []):
        url = f.get("url") if isinstance(f, dict) else None
        if isinstance(url, str):
            if url.strip() in urls:
                problems.append((("feeds", i, "url"), f"duplicate feed url (also feeds[{urls[url.strip()]}])"))
            urls.setdefault(url.strip(), i)
    return problems


class Settings(BaseSettings):
    """Process settings from the environment (NEWSRADAR_*)."""

    model_config = SettingsConfigDict(env_prefix="NEWSRADAR_", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    # The database password kept out of the URL (NEWSRADAR_DATABASE_PASSWORD, or a file
    # such as a Docker secret): any character works, '@', '/' and '#' included, because it
    # is escaped into the URL here instead of being pasted into it by a shell or compose.
    database_password: str | None = Field(default=None, repr=False)
    database_password_file: Path | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    config: Path = DEFAULT_CONFIG_PATH
    log_level: str = "INFO"
    metrics_port: int = 9808
    # The console's public base URL (https://news.example.org): alerts then carry signed
    # one-click feedback links (email) and feedback_url (webhook), verified with
    # feedback_secret (NEWSRADAR_FEEDBACK_SECRET); no links without both.
    web_base_url: str | None = None
    feedback_secret: str | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _password_into_url(self) -> Settings:
        password = self.database_password
        if password is None and self.database_password_file is not None:
            try:
                password = self.database_password_file.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ValueError(
                    f"NEWSRADAR_DATABASE_PASSWORD_FILE: cannot read {self.database_password_file}: "
                    f"{exc.strerror or exc}"
                ) from None
        if password:
            self.database_url = url_with_password(self.database_url, password)
            self.database_password = password
        return self


def url_with_password(url: str, password: str) -> str:
    """``url`` (``dialect+driver://user@host/db``) with ``password`` percent-escaped into
    it, the form SQLAlchemy and libpq read back whole whatever characters it holds."""
    from urllib.parse import quote

    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not sep or not at or not userinfo:
        raise ValueError("NEWSRADAR_DATABASE_PASSWORD is set, but NEWSRADAR_DATABASE_URL has no "
                         "user name to attach it to (expected scheme://USER@host/db)")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:{quote(password, safe='')}@{hostport}{slash}{path}"


# The last Settings built, keyed by the NEWSRADAR_* environment it was built from:
# building one costs a few milliseconds (pydantic-settings inspects every field), and a
# worker asks for it in every task (one in three of a delivery's CPU milliseconds).
_SETTINGS_CACHE: list[tuple[tuple[tuple[str, str], ...], Settings]] = []


def environment_key() -> tuple[tuple[str, str], ...]:
    """The NEWSRADAR_* variables, for caches of what is built from them."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("NEWSRADAR_")))


def get_settings() -> Settings:
    """The settings from the environment, built again whenever a NEWSRADAR_* variable
    changed (a secret file named by one is read when they are built)."""
    key = environment_key()
    if _SETTINGS_CACHE and _SETTINGS_CACHE[0][0] == key:
        return _SETTINGS_CACHE[0][1]
    settings = _build_settings()
    _SETTINGS_CACHE[:] = [(key, settings)]
    return settings


def _build_settings() -> Settings:
    from worker.redact import register_url_secrets

    settings = Settings()
    # The database and Redis passwords are secrets too: a driver's error may show them
    # in a form redact()'s URL rule cannot see (a raw "@" splits them at the wrong place).
    register_url_secrets(settings.database_url)
    register_url_secrets(settings.redis_url)
    return settings


# ---------------------------------------------------------------------------
# Loading with positions


@dataclass
class _Positions:
    """Map from key path to the 1-based line of that node in the YAML file."""

    lines: dict[tuple, int]

    def line_of(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _collect_positions(node: yaml.Node, path: tuple, out: dict[tuple, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[path + (key,)] = key_node.start_mark.line + 1
            _collect_positions(value_node, path + (key,), out)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect_positions(item, path + (i,), out)


def _format_path(path: tuple) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


# The discriminator tags of the channel union ("console", "jsonl", ...), from the models.
_CHANNEL_TAGS = frozenset(
    get_args(m.model_fields["type"].annotation)[0]
    for m in (ConsoleChannel, JsonlChannel, EmailChannel, WebhookChannel, AppriseChannel,
              FeedFileChannel)
)


def _clean_loc(loc: tuple) -> tuple:
    # pydantic puts the discriminator tag in the location of union members
    # (channels.x.email.port): drop it so the path matches the file.
    if len(loc) >= 3 and loc[0] == "channels" and loc[2] in _CHANNEL_TAGS:
        return loc[:2] + loc[3:]
    return loc


def _describe(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    msg = err.get("msg", "invalid value")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if "input" in err and kind not in ("missing",) and not isinstance(err["input"], (dict, list)):
        if "got" not in msg:
            msg = f"{msg} (got {err['input']!r})"
    return msg


_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_config(text: str, *, source: str = "<config>") -> Config:
    """Parse and validate configuration text; raise ConfigError listing every problem."""
    try:
        # Parsed once (the node gives line numbers, the same node gives the data), with
        # libyaml's C loader when PyYAML has it: a 10,000-feed file parsed twice in pure
        # Python took 7.5-14 s.
        loader = _YamlLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}: invalid YAML: {problem}"], source=source) from exc
    positions = _Positions({})
    if node is not None:
        _collect_positions(node, (), positions.lines)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{source}:1: (top level): expected a mapping of sections"], source=source)

    problems: list[str] = []

    def add(path: tuple, message: str) -> None:
        line = positions.line_of(path)
        where = f"{source}:{line}" if line else source
        problems.append(f"{where}: {_format_path(path)}: {message}")

    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            add(_clean_loc(tuple(err["loc"])), _describe(err))
    for path, message in _cross_ref_problems(data):
        add(path, message)
    _query_problems(data, add)
    base_dir = str(Path(source).parent) if not source.startswith("<") else "."
    _example_problems(data, base_dir, add)
    if problems:
        raise ConfigError(problems, source=source)
    assert config is not None
    config._base_dir = base_dir
    return config


def _example_problems(data: dict[str, Any], base_dir: str, add: Any) -> None:
    """Topic examples that are neither an article id nor a readable file."""
    topics = data.get("topics")
    for i, t in enumerate(topics if isinstance(topics, list) else []):
        if not isinstance(t, dict):
            continue
        for key in ("examples", "counter_examples"):
            entries = t.get(key)
            for j, e in enumerate(entries if isinstance(entries, list) else []):
                if isinstance(e, bool) or not isinstance(e, (str, int)):
                    continue  # the model's own check names the type
                if isinstance(e, int) or e.strip().isdigit():
                    continue  # a stored article's id, read when the topic is prepared
                p = Path(e).expanduser()
                p = p if p.is_absolute() else Path(base_dir) / p
                if not p.is_file():
                    add(("topics", i, key, j),
                        f"expected a file (relative to the config file) or an article id; "
                        f"{str(p)!r} is not a file")


def _query_problems(data: dict[str, Any], add: Any) -> None:
    """Validate every topic query, on the raw data, so that query errors come in the
    same report as every other problem (not in a second round once the rest is fixed)."""
    from worker.errors import QueryError
    from worker.topics import parse_query

    raw_lists = data.get("lists")
    lists: dict[str, list[str]] = {}
    if isinstance(raw_lists, dict):
        lists = {str(k): [str(x) for x in v] for k, v in raw_lists.items() if isinstance(v, list)}
    topics = data.get("topics")
    for i, t in enumerate(topics if isinstance(topics, list) else []):
        if not isinstance(t, dict) or not isinstance(t.get("query"), str):
            continue
        try:
            parse_query(t["query"], lists)
        except QueryError as exc:
            add(("topics", i, "query"), str(exc.with_topic(str(t.get("id", f"#{i}")))))


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the YAML config from ``path`` (default: settings.config)."""
    p = Path(path) if path is not None else get_settings().config
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([f"{p}: file not found"], source=str(p)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{p}: cannot read: {exc}"], source=str(p)) from exc
    return parse_config(text, source=str(p))
