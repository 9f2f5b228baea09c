"""Sources as data: crawler/sources.toml (or a user file) → typed, validated Source records.

A source's keys are merged from three layers: `[defaults]`, then `[families.<spider>]` (what every
source of that platform family shares: selectors, paging, options), then `[sources.<name>]`; the
`list`, `detail` and `options` tables are merged key by key, so a source overrides one selector
and keeps the family's others. A family's own keys live in `options` and are checked by the
family class (crawler/spiders/registry.py `spider_class`)."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from policytrack.pipeline.core.errors import ConfigError, PolicytrackError
from policytrack.pipeline.store.rawstore import check_source
from policytrack.pipeline.text.normalize import _ts_tables, normalize, series_key
from policytrack.pipeline.text.vocab import YEAR

BUILTIN = Path(__file__).with_name("sources.toml")

_LIST_KEYS = {
    "item", "link", "title_attr", "date", "next", "page_template", "page_count", "page_size",
}  # fmt: skip
_DETAIL_KEYS = {"title", "meta", "body", "attachments", "date", "department"}
_SOURCE_KEYS = {
    "issuer", "allowed_domains", "start_urls", "list_urls", "column", "list", "detail",
    "title_include", "title_exclude", "attachment_types", "series_aliases", "max_pages",
    "pending_attempts", "settings", "spider", "options", "max_attachments",
}  # fmt: skip
_DEFAULT_KEYS = _SOURCE_KEYS - {"issuer", "allowed_domains", "start_urls", "list_urls", "column"}
_FAMILY_KEYS = _DEFAULT_KEYS - {"spider"}
_DEEP = ("list", "detail", "options")  # tables merged key by key across the layers
_WRAPPED = re.compile(r"关于(?:印发|转发|下发|公布)?[《“](.+?工作要点.*?)[》”]")
_TRUNCATED = re.compile(r"(\.\.\.|…+|。。。)\s*$")
# A truncated list title is worth opening when its visible part could still be a 工作要点.
_MAYBE = re.compile(rf"{YEAR}|工作|要点|党组")


def _selectors(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: expected a selector string or a list of them")
    return tuple(v.strip() for v in value)


@dataclass(frozen=True)
class ListProfile:
    item: tuple[str, ...]
    link: tuple[str, ...] = ("a",)
    title_attr: str = "title"  # sites put the untruncated title in <a title="...">
    date: tuple[str, ...] = ("span",)
    next: tuple[str, ...] = ()
    page_template: str | None = None  # {page} 1-based, {index} = page - 1, {offset} = index × size
    page_count: str | None = None
    page_size: int | None = None  # entries per list page, for {offset} and paging APIs


@dataclass(frozen=True)
class DetailProfile:
    body: tuple[str, ...]
    title: tuple[str, ...] = ("h1", "title")
    meta: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()  # empty: links inside the body
    date: tuple[str, ...] = ()  # publication date (e.g. a PubDate <meta>); default: the meta line
    department: tuple[str, ...] = ()  # publishing department (e.g. a ContentSource <meta>)


@dataclass(frozen=True)
class Source:
    name: str
    issuer: str
    allowed_domains: tuple[str, ...]
    start_urls: tuple[str, ...]
    list: ListProfile
    detail: DetailProfile
    column: tuple[str, ...] = ()
    list_urls: tuple[str, ...] = ()
    title_include: tuple[str, ...] = ()
    title_exclude: tuple[str, ...] = ()
    attachment_types: tuple[str, ...] = ("docx", "pdf", "doc")
    series_aliases: dict[str, str] = field(default_factory=dict)
    max_pages: int = 200
    pending_attempts: int = 5
    settings: dict = field(default_factory=dict)
    spider: str = "generic"  # the platform family (crawler/spiders/registry.py)
    options: dict = field(default_factory=dict)  # the family's own keys (its docstring)
    max_attachments: int = 20  # attachment links fetched per notice; the rest are reported
    # Hosts of the real site when --base-url points the crawl at a mirror.
    origin_hosts: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.spider

    # -- titles ----------------------------------------------------------------------------
    @functools.cached_property
    def _compiled(self) -> tuple[list[re.Pattern], list[re.Pattern]]:
        return [re.compile(p) for p in self.title_include], [
            re.compile(p) for p in self.title_exclude
        ]

    def title_matches(self, title: str) -> bool:
        """True for a work-point notice title (traditional characters are folded first)."""
        t = fold(title or "")
        include, exclude = self._compiled
        return any(p.search(t) for p in include) and not any(p.search(t) for p in exclude)

    def title_maybe(self, title: str) -> bool:
        """A list title cut short with '...' that could still turn out to match."""
        if not _TRUNCATED.search(title or ""):
            return False
        t = fold(_TRUNCATED.sub("", title))
        include, exclude = self._compiled
        return bool(_MAYBE.search(t)) and not any(p.search(t) for p in exclude)

    def walk_fingerprint(self) -> str:
        """What decides which list entries are skipped as `seen`: the title filter, the list
        selectors and the family's options. A column walked under another fingerprint counts as
        not walked (crawlstate)."""
        lst = {k: v for k, v in asdict(self.list).items() if k != "page_size" or v is not None}
        spec = [self.title_include, self.title_exclude, lst]
        if self.options:
            spec.append(dict(sorted(self.options.items())))
        return hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode()).hexdigest()[:16]

    @functools.cached_property
    def _series(self) -> dict[str, str]:
        return {}

    def series_of(self, title: str) -> str:
        if title in self._series:
            return self._series[title]
        self._series[title] = series = self._series_of(title)
        return series

    def _series_of(self, title: str) -> str:
        t = fold(title or "")
        # "<issuer>关于印发《X》的通知": the series is X's (series_key only unwraps a leading 关于).
        m = _WRAPPED.search(t)
        key = series_key(m.group(1) if m else t)
        return self.series_aliases.get(key, key)

    # -- mirrors ---------------------------------------------------------------------------
    def rebased(self, base_url: str | None) -> Source:
        """The same source served from `base_url` (scheme+host[:port]), e.g. a local mirror."""
        if not base_url:
            return self
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--base-url {base_url!r}: expected http(s)://host[:port]")
        origin = tuple(self.allowed_domains) + tuple(
            urlsplit(u).hostname or "" for u in self.start_urls + self.list_urls
        )

        def swap(url: str) -> str:
            u = urlsplit(url)
            return urlunsplit((parts.scheme, parts.netloc, u.path or "/", u.query, u.fragment))

        return replace(
            self,
            start_urls=tuple(swap(u) for u in self.start_urls),
            list_urls=tuple(swap(u) for u in self.list_urls),
            allowed_domains=(parts.hostname,),
            origin_hosts=tuple(dict.fromkeys(h for h in origin if h)),
            settings=dict(self.settings),
        )

    def local_url(self, url: str) -> str:
        """Absolute links to the real site, seen on a mirror, point back at the mirror."""
        if not self.origin_hosts:
            return url
        u = urlsplit(url)
        if u.hostname and u.hostname in self.origin_hosts:
            base = urlsplit(self.start_urls[0] if self.start_urls else self.list_urls[0])
            return urlunsplit((base.scheme, base.netloc, u.path, u.query, u.fragment))
        return url


@functools.lru_cache(maxsize=8192)
def fold(title: str) -> str:
    """A title in the form the filters match: half-width, tidy spaces, and simplified characters
    when it holds a traditional-only one (the converter is slow; most titles need none)."""
    trad_only, _ = _ts_tables()
    return normalize(title, simplified=any(c in trad_only for c in title))


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "series_aliases":
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: sources file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc


def _layered(*layers: dict) -> dict:
    """Later layers win; the list, detail and options tables merge key by key."""
    out: dict = {}
    for layer in layers:
        for k, v in layer.items():
            if k in _DEEP and isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = {**out[k], **v}
            else:
                out[k] = v
    return out


def _build(name: str, raw: dict, defaults: dict, families: dict, where: str) -> Source:
    try:
        check_source(name)
    except PolicytrackError as exc:
        raise ConfigError(f"{where}: [sources.{name}]: {exc}") from exc
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(f"{where}: [sources.{name}]: unknown keys {sorted(unknown)}")
    spider = str(raw.get("spider", defaults.get("spider", "generic")))
    cfg = _layered(defaults, families.get(spider, {}), raw)
    at = f"{where}: [sources.{name}]"

    def strings(key: str) -> tuple[str, ...]:
        v = cfg.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"{at}.{key}: expected a list of strings")
        return tuple(v)

    lst = cfg.get("list") or {}
    det = cfg.get("detail") or {}
    if set(lst) - _LIST_KEYS:
        raise ConfigError(f"{at}.list: unknown keys {sorted(set(lst) - _LIST_KEYS)}")
    if set(det) - _DETAIL_KEYS:
        raise ConfigError(f"{at}.detail: unknown keys {sorted(set(det) - _DETAIL_KEYS)}")
    if not lst.get("item"):
        raise ConfigError(f"{at}.list.item: required (selector of one list entry)")
    if not det.get("body"):
        raise ConfigError(f"{at}.detail.body: required (selector of the notice body)")
    start_urls, list_urls = strings("start_urls"), strings("list_urls")
    if not start_urls and not list_urls:
        raise ConfigError(f"{at}: needs start_urls (with column) or list_urls")
    if strings("column") and not start_urls:
        raise ConfigError(f"{at}.column: needs start_urls to navigate from")
    if not strings("column") and not list_urls:
        raise ConfigError(f"{at}: give column (link texts from the home page) or list_urls")
    for key in ("title_include", "title_exclude"):
        for pattern in strings(key):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{at}.{key}: bad regex {pattern!r} ({exc})") from exc
    if lst.get("page_count"):
        try:
            re.compile(lst["page_count"])
        except re.error as exc:
            raise ConfigError(f"{at}.list.page_count: bad regex ({exc})") from exc
    aliases = cfg.get("series_aliases") or {}
    settings = cfg.get("settings") or {}
    options = cfg.get("options") or {}
    if not all(isinstance(x, dict) for x in (aliases, settings, options)):
        raise ConfigError(f"{at}: series_aliases, settings and options must be tables")

    def count(key: str, value, low: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{at}.{key}: expected a whole number ≥ {low}")
        return value

    page_size = lst.get("page_size")
    if page_size is not None:
        page_size = count("list.page_size", page_size)
    domains = strings("allowed_domains") or tuple(
        dict.fromkeys(urlsplit(u).hostname or "" for u in start_urls + list_urls)
    )
    return Source(
        name=name,
        issuer=str(cfg.get("issuer", name)),
        allowed_domains=domains,
        start_urls=start_urls,
        list_urls=list_urls,
        column=strings("column"),
        list=ListProfile(
            item=_selectors(lst["item"], f"{at}.list.item"),
            link=_selectors(lst.get("link", "a"), f"{at}.list.link"),
            title_attr=str(lst.get("title_attr", "title")),
            date=_selectors(lst.get("date", "span"), f"{at}.list.date"),
            next=_selectors(lst.get("next"), f"{at}.list.next"),
            page_template=lst.get("page_template"),
            page_count=lst.get("page_count"),
            page_size=page_size,
        ),
        detail=DetailProfile(
            body=_selectors(det["body"], f"{at}.detail.body"),
            title=_selectors(det.get("title", ["h1", "title"]), f"{at}.detail.title"),
            meta=_selectors(det.get("meta"), f"{at}.detail.meta"),
            attachments=_selectors(det.get("attachments"), f"{at}.detail.attachments"),
            date=_selectors(det.get("date"), f"{at}.detail.date"),
            department=_selectors(det.get("department"), f"{at}.detail.department"),
        ),
        title_include=strings("title_include"),
        title_exclude=strings("title_exclude"),
        attachment_types=tuple(t.lower().lstrip(".") for t in strings("attachment_types")),
        series_aliases={str(k): str(v) for k, v in aliases.items()},
        max_pages=count("max_pages", cfg.get("max_pages", 200)),
        pending_attempts=count("pending_attempts", cfg.get("pending_attempts", 5)),
        settings=dict(settings),
        spider=spider,
        options=dict(options),
        max_attachments=count("max_attachments", cfg.get("max_attachments", 20), 0),
    )


def load_sources(path: str | Path | None = None) -> dict[str, Source]:
    """Built-in sources, with a user file (if given) merged over them."""
    data = _read(BUILTIN)
    where = str(BUILTIN)
    if path:
        user = _read(Path(path))
        unknown = set(user) - {"defaults", "families", "sources"}
        if unknown:
            raise ConfigError(
                f"{path}: unknown tables {sorted(unknown)} "
                "(use [defaults], [families.NAME], [sources.NAME])"
            )
        families = dict(data.get("families", {}))
        for name, fam in user.get("families", {}).items():
            families[name] = _layered(families.get(name, {}), fam)
        data = {
            "defaults": _merge(data.get("defaults", {}), user.get("defaults", {})),
            "families": families,
            "sources": {**data.get("sources", {}), **user.get("sources", {})},
        }
        where = str(path)
    defaults = data.get("defaults", {})
    if set(defaults) - _DEFAULT_KEYS:
        raise ConfigError(
            f"{where}: [defaults]: unknown keys {sorted(set(defaults) - _DEFAULT_KEYS)}"
        )
    families = data.get("families", {})
    for fam, table in families.items():
        if not isinstance(table, dict) or set(table) - _FAMILY_KEYS:
            bad = sorted(set(table) - _FAMILY_KEYS) if isinstance(table, dict) else table
            raise ConfigError(f"{where}: [families.{fam}]: unknown keys {bad}")
    return {
        name: _build(name, raw, defaults, families, where)
        for name, raw in data.get("sources", {}).items()
    }


def select(names: list[str], path: str | Path | None = None) -> list[Source]:
    """Named sources; with no names, every source of the user's file (or every built-in one)."""
    available = load_sources(path)
    if not names:
        if path:
            own = list(_read(Path(path)).get("sources", {}))
            if not own:
                # Never fall back to the built-in (real) sites because a file was empty.
                raise ConfigError(
                    f"{path}: no [sources.NAME] table, so nothing to crawl; name the sources "
                    f"to crawl (built-in: {', '.join(load_sources())})"
                )
            return [available[n] for n in own]
        return list(available.values())
    missing = [n for n in names if n not in available]
    if missing:
        raise ConfigError(f"unknown source(s) {', '.join(missing)}; known: {', '.join(available)}")
    return [available[n] for n in names]
