"""Spiders: NoticeSpider (base.py) holds what every platform family shares; a family reads its
list and detail pages (generic.py: server-rendered HTML by the source's selectors) and registers
under a name (registry.py) that a source's `spider` key selects."""
