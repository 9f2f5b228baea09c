"""Spiders. `generic` covers config-driven HTML list sites; subclasses only where a site needs code."""
