"""Signing in: what a locked-out visitor is told.

django-axes counts failed sign-ins of the site's form and Wagtail's admin form
alike (both go through ``django.contrib.auth.authenticate``), per user name and
address, in the database or Redis (settings ``AXES_*``), so every process sees
the same count and a restart forgets nothing. Axes refuses a locked-out pair
before any password is checked and answers with ``lockout_response``.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

THROTTLED = _("Too many failed attempts. Wait a few minutes and try again.")


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page (HTTP 429), in the language of the request."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(
        request,
        "accounts/lockout.html",
        {"message": THROTTLED, "minutes": minutes},
        status=429,
    )


def client_address(request) -> str:
    """The visitor's address, as failures are counted by it.

    ``REMOTE_ADDR``, unless the site runs behind ``SANDYQ_TRUSTED_PROXIES``
    reverse proxies that each append the address they saw to
    ``X-Forwarded-For``: then the entry the outermost proxy appended, counted
    from the right, which a visitor cannot forge (what they send themselves
    stands further left).
    """
    proxies = settings.SANDYQ_TRUSTED_PROXIES
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if len(addresses) >= proxies:
            return addresses[-proxies]
    return request.META.get("REMOTE_ADDR", "")
