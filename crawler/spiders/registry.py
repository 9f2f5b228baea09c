"""The spider registry: a source's `spider = "<name>"` (sources.toml) names a registered class,
its platform family: generic (server-rendered HTML), jpaas, jcms, iframe, jsonapi.

A spider that needs code is a subclass of NoticeSpider (crawler/spiders/base.py), or of a family
built on it such as GenericSpider, in a module of this package, registered by decorator:

    @register("jsonapi")
    class JsonApiSpider(NoticeSpider):
        def read_list(self, response): ...
        def read_detail(self, response, body, content_type): ...

Every module of policytrack.crawler.spiders is imported on the first lookup (as Scrapy's own
SPIDER_MODULES walk does), so a new module registers itself without being listed anywhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TypeVar

from policytrack.crawler.sources import Source
from policytrack.pipeline.core.errors import ConfigError

PACKAGE = "policytrack.crawler.spiders"
T = TypeVar("T", bound=type)
_SPIDERS: dict[str, type] = {}
_loaded = False


def register(name: str) -> Callable[[T], T]:
    """Class decorator: make the class the spider `name` (also its Scrapy name)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"spider name {name!r}: expected an identifier")

    def add(cls: T) -> T:
        have = _SPIDERS.get(name)
        if have is not None and _qualname(have) != _qualname(cls):
            raise ValueError(f"spider {name!r} is registered twice: {_qualname(have)}, "
                             f"{_qualname(cls)}")  # fmt: skip
        cls.name = name  # `scrapy crawl <name>` finds it under the same name
        _SPIDERS[name] = cls
        return cls

    return add


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _load() -> None:
    global _loaded
    if _loaded:
        return
    package = importlib.import_module(PACKAGE)
    for info in pkgutil.iter_modules(package.__path__, PACKAGE + "."):
        importlib.import_module(info.name)
    _loaded = True


def names() -> list[str]:
    """The registered spider names, sorted."""
    _load()
    return sorted(_SPIDERS)


def lookup(name: str, where: str = "") -> type:
    """The class registered as `name`; ConfigError naming the known spiders otherwise."""
    _load()
    if name not in _SPIDERS:
        at = f"{where}: " if where else ""
        raise ConfigError(f"{at}unknown spider {name!r} (known: {', '.join(names())})")
    return _SPIDERS[name]


def spider_class(src: Source) -> type:
    """The class that crawls `src`: its registered spider, with the source's own settings
    (sources.toml `settings`) on a subclass; --set still wins over them."""
    base = lookup(src.spider, f"source {src.name}")
    base.check_source(src)
    return type(f"{base.__name__}_{src.name}", (base,), {"custom_settings": dict(src.settings)})
