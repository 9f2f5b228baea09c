"""Scrapy crawler: config-driven spiders that collect annual work-point notices into data/raw."""
