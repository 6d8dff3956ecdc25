"""The admin room: Wagtail hooks, admin views, panels and permission policies.

Imports nothing here: ``django.contrib.admin`` imports every app's ``admin``
module by itself. Wagtail's entry point is ``docs_library.wagtail_hooks``.
"""
