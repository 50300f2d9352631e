"""voice-companion: an offline voice guide for a couple's small rituals of connection."""

__version__ = "0.1.0"
