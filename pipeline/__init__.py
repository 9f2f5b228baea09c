"""policytrack pipeline: parse work-point notices, extract priority terms, align items across years."""

__version__ = "0.1.0"
