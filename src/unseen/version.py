"""The version of unseen (its own module, so the plan and the manifest can name it without importing
the package root: no import circle)."""

__version__ = "0.1.0"
