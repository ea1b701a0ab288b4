"""mabe: multi-animal pose tracks in, social-behaviour intervals out."""

__version__ = "0.1.0"
