"""Signing in: one throttled form for the site and Wagtail's admin.

After ``LOGIN_FAILURE_LIMIT`` failed attempts for a user name from one address
within ``LOGIN_FAILURE_WINDOW`` seconds, further attempts are refused for the
rest of the window, before any password is checked.
"""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.auth import LoginForm


def _key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request else ""
    digest = hashlib.sha256(f"{username.casefold()}|{address}".encode()).hexdigest()
    return f"sandyq:login-failures:{digest}"


THROTTLED = _("Too many failed attempts. Wait a few minutes and try again.")


class LoginThrottleMixin:
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        key = _key(self.request, username)
        limit = getattr(settings, "LOGIN_FAILURE_LIMIT", 5)
        window = getattr(settings, "LOGIN_FAILURE_WINDOW", 900)
        if cache.get(key, 0) >= limit:
            raise forms.ValidationError(THROTTLED, code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, window)
            raise


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    """The public site's sign-in form."""


class ThrottledAdminLoginForm(LoginThrottleMixin, LoginForm):
    """Wagtail's admin sign-in form (``WAGTAILADMIN_USER_LOGIN_FORM``)."""
