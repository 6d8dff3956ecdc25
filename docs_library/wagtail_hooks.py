"""Wagtail's entry point for this app's admin wiring, which lives in ``admin/``."""

from .admin import approval_hooks, hooks, lifecycle_hooks  # noqa: F401
