"""The two-factor pages: settings, enrolment, recovery codes, the code after the
password, and turning it off. Site pages in the reader's language; the admin's
sign-in leads here too (``home.two_factor.SecondFactorMiddleware``)."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import roles, two_factor

CODES_SESSION_KEY = "sandyq_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Recovery code"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not right."), code="wrong_password")
        return password


def _next_url(request, default=None):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default or reverse("two_factor")


@never_cache
@login_required
def settings_view(request):
    """The user's own page: whether a second factor is on, and what to do about it."""
    user = request.user
    enrolled = two_factor.has_second_factor(user)
    context = {
        "enrolled": enrolled,
        "codes_left": two_factor.recovery_codes_left(user) if enrolled else 0,
        "required": roles.must_use_second_factor(user),
        "codes_form": PasswordForm(user, prefix="codes"),
        "off_form": PasswordForm(user, prefix="off"),
    }
    return render(request, "accounts/two_factor.html", context)


@never_cache
@login_required
def enrol_view(request):
    """Scan the code (or type the secret), then confirm with the first code."""
    user = request.user
    if two_factor.has_second_factor(user):
        return redirect("two_factor")
    device = two_factor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm(request, device, form.cleaned_data["code"])
        if codes is not None:
            request.session[CODES_SESSION_KEY] = codes
            query = urlencode({"next": _next_url(request)}) if request.POST.get("next") else ""
            return redirect(reverse("two_factor_codes") + (f"?{query}" if query else ""))
        device.refresh_from_db()
        if not device.verify_is_allowed()[0]:
            form.add_error("code", _("Too many wrong codes. Wait a minute and try again."))
        else:
            form.add_error("code", _("This code is not right. Check the time on your phone."))
    context = {
        "form": form,
        "qr_svg": two_factor.qr_svg(device),
        "secret": two_factor.secret_of(device),
        "required": roles.must_use_second_factor(user),
        "next": _next_url(request, default=""),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@never_cache
@login_required
def codes_view(request):
    """The recovery codes, shown once: the session forgets them as they are shown."""
    codes = request.session.pop(CODES_SESSION_KEY, None)
    if not codes:
        return redirect("two_factor")
    context = {"codes": codes, "next": _next_url(request, default="")}
    return render(request, "accounts/two_factor_codes.html", context)


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("codes-password", "off-password")
def new_codes_view(request):
    user = request.user
    form = PasswordForm(user, request.POST, prefix="codes")
    if not two_factor.has_second_factor(user) or not form.is_valid():
        messages.error(request, _("The password is not right."))
        return redirect("two_factor")
    request.session[CODES_SESSION_KEY] = two_factor.new_recovery_codes(user)
    return redirect("two_factor_codes")


@never_cache
@login_required
@sensitive_post_parameters("code")
def verify_view(request):
    """The second step of signing in: a code from the app, or a recovery code."""
    recovery = request.GET.get("method") == "recovery" or request.POST.get("method") == "recovery"
    if request.user.is_verified() or not two_factor.has_second_factor(request.user):
        return redirect(_next_url(request, default="/"))
    form_class = RecoveryCodeForm if recovery else CodeForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, throttled = two_factor.verify(request, form.cleaned_data["code"], recovery=recovery)
        if ok:
            if recovery:
                left = two_factor.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; it cannot be used again. "
                        "Recovery codes left: %(left)s."
                    )
                    % {"left": left},
                )
            return redirect(_next_url(request, default="/"))
        if throttled:
            form.add_error("code", _("Too many wrong codes. Wait a minute and try again."))
        elif recovery:
            form.add_error("code", _("This recovery code is not right or was already used."))
        else:
            form.add_error("code", _("This code is not right. Check the time on your phone."))
    context = {"form": form, "recovery": recovery, "next": _next_url(request, default="")}
    return render(request, "accounts/two_factor_verify.html", context)


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("codes-password", "off-password")
def disable_view(request):
    """Turning the second factor off asks for the password again."""
    user = request.user
    form = PasswordForm(user, request.POST, prefix="off")
    if form.is_valid():
        two_factor.turn_off(user)
        messages.success(request, _("Two-step sign-in is off."))
    else:
        messages.error(request, _("The password is not right. Two-step sign-in stays on."))
    return redirect("two_factor")


urlpatterns = [
    path("", settings_view, name="two_factor"),
    path("enrol/", enrol_view, name="two_factor_enrol"),
    path("recovery-codes/", codes_view, name="two_factor_codes"),
    path("recovery-codes/new/", new_codes_view, name="two_factor_new_codes"),
    path("verify/", verify_view, name="two_factor_verify"),
    path("turn-off/", disable_view, name="two_factor_disable"),
]
