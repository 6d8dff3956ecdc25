"""Two-factor sign-in: a code from an authenticator app (TOTP), or a recovery code.

django-otp keeps the devices: one ``TOTPDevice`` per user (unconfirmed while
enrolling) and one ``StaticDevice`` holding the single-use recovery codes.
A session that gave a code is "verified" (``request.user.is_verified()``,
set by django-otp's middleware). ``SecondFactorMiddleware`` sends an
unverified signed-in user who has a device to give a code, and one who must
have a device (``home.roles.must_use_second_factor``, while
``SANDYQ_2FA_REQUIRED`` is on) but has none to enrol, before any other page
of the site or the admin. This covers Wagtail's admin sign-in and the site's
alike, since both end in the same session.
"""

import base64
import logging
from urllib.parse import urlencode

from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from . import roles

logger = logging.getLogger("sandyq.auth")

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"

# What an unverified session may still open: the steps themselves, signing out,
# changing language and resetting a forgotten password.
OPEN_URL_NAMES = frozenset(
    {
        "two_factor_verify",
        "two_factor_enrol",
        "two_factor_codes",
        "logout",
        "wagtailadmin_logout",
        "set_language",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "favicon",
        "robots_txt",
    }
)
OPEN_PREFIXES = ("/static/", "/media/")


# --- devices -------------------------------------------------------------------


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The device being enrolled: its secret is shown until it is confirmed, never after."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The base32 secret, in groups of four for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` address as an inline SVG QR code, drawn here, no other host."""
    import qrcode  # only on enrolment; not every web process's memory
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


def clean_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def confirm(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm an enrolment with its first code; the recovery codes, or None."""
    if device.confirmed or device.user_id != request.user.pk:
        return None
    if verify_token(request.user, device.persistent_id, clean_code(code)) is None:
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(request.user)
    request.session.cycle_key()  # a new session key for the stronger sign-in
    otp_login(request, device)
    logger.info("Second factor enrolled for user %s", request.user.pk)
    return codes


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; each one opens a session once."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(settings.SANDYQ_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify(request, code: str, *, recovery: bool = False):
    """Check a code (or a recovery code, used up by this) and mark the session
    verified. Returns ``(ok, throttled)``: a device that has refused too many
    codes refuses every code for a while, growing with each failure."""
    user = request.user
    model = StaticDevice if recovery else TOTPDevice
    device = model.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return False, False
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return False, True
    verified = verify_token(user, device.persistent_id, clean_code(code))
    if verified is None:
        return False, False
    request.session.cycle_key()
    otp_login(request, verified)
    if recovery:
        logger.info("User %s signed in with a recovery code", user.pk)
    return True, False


def turn_off(user) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    logger.info("Second factor turned off for user %s", user.pk)


# --- what a signed-in session must do next ----------------------------------------


def required_step(user) -> str | None:
    """``"verify"``, ``"enrol"`` or None for a signed-in, unverified user."""
    if has_second_factor(user):
        return "verify"
    if settings.SANDYQ_2FA_REQUIRED and roles.must_use_second_factor(user):
        return "enrol"
    return None


def is_open(request) -> bool:
    if request.path_info.startswith(OPEN_PREFIXES):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.url_name in OPEN_URL_NAMES


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not is_open(request):
            step = required_step(user)
            if step is not None:
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse(f'two_factor_{step}')}?{query}")
        return self.get_response(request)
