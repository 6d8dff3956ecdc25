"""The Content-Security-Policy of every page, and the little the Wagtail admin needs
beyond it (docs/csp.md).

The policy itself is in settings (``CONTENT_SECURITY_POLICY``, django-csp). The
public site and the member pages have no inline script at all, so their
script-src is ``'self'``. Wagtail 8.0's admin still writes a few inline
initialisers into its pages: a chooser (``new DocumentChooser("id_main_file",
{…});``, from Python), a date field (``initDateChooser("id", {…});``) and an
inline panel (``new InlinePanel(JSON.parse("…"))``). This middleware gives the
request's nonce to exactly those: a script whose whole body is one call of a
known Wagtail initialiser with literal (JSON) arguments. Any other inline
script in an admin page, such as markup that slipped into a title, stays
blocked, as do inline event handlers, ``javascript:`` links and ``eval``.
"""

import json
import re

from csp.middleware import CSPMiddleware

from django.conf import settings
from django.urls import reverse

# Wagtail's initialisers: chooser widgets' js_constructor, the date and time
# widgets' functions, the workflow task chooser's.
INITIALISERS = {
    "Chooser",
    "DocumentChooser",
    "ImageChooser",
    "PageChooser",
    "SnippetChooser",
    "createTaskChooser",
    "initDateChooser",
    "initDateTimeChooser",
    "initTimeChooser",
}
PANELS = {"InlinePanel", "MultipleChooserPanel"}

SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
CALL = re.compile(r"\s*(?:new\s+)?(?P<name>[A-Za-z]+)\((?P<args>.*)\);?\s*", re.S)
PANEL = re.compile(
    r"\s*\(function\(\)\s*\{\s*var panel = new (?P<name>[A-Za-z]+)"
    r'\(JSON\.parse\((?P<args>"(?:[^"\\\n]|\\.)*")\)\);\s*\}\)\(\);\s*',
    re.S,
)
SOURCED = re.compile(r"\b(?:src|nonce)\s*=", re.I)
TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]*)""", re.I)
JAVASCRIPT_TYPES = {"", "text/javascript", "application/javascript"}


def literal_arguments(text: str) -> bool:
    """True if ``text`` is a comma-separated list of JSON values: nothing in it can run."""
    try:
        return isinstance(json.loads(f"[{text}]"), list)
    except ValueError:
        return False


def inline_javascript(attrs: str) -> bool:
    """True for a classic script written in the page (not loaded, not data, not nonced)."""
    kind = TYPE.search(attrs)
    return not SOURCED.search(attrs) and (kind is None or kind[1].lower() in JAVASCRIPT_TYPES)


def is_wagtail_initialiser(body: str) -> bool:
    panel = PANEL.fullmatch(body)
    if panel:
        return panel["name"] in PANELS and literal_arguments(panel["args"])
    call = CALL.fullmatch(body)
    return bool(call and call["name"] in INITIALISERS and literal_arguments(call["args"]))


def add_nonces(html: str, nonce: str) -> str:
    """``html`` with ``nonce`` on each inline script that is one of Wagtail's initialisers."""

    def replace(match):
        attrs, body = match["attrs"], match["body"]
        if not inline_javascript(attrs) or not is_wagtail_initialiser(body):
            return match[0]
        return f'<script nonce="{nonce}"{attrs}>{body}</script>'

    return SCRIPT.sub(replace, html)


def admin_prefix() -> str:
    return reverse("wagtailadmin_home")


class SandyqCSPMiddleware(CSPMiddleware):
    """django-csp's middleware; in the admin, nonces for Wagtail's initialisers and
    ``SANDYQ_CSP_ADMIN_UPDATE`` added to the policy."""

    def process_response(self, request, response):
        if self._in_admin(request) and self._is_html(response):
            self._nonce_initialisers(request, response)
        return super().process_response(request, response)

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if self._in_admin(request):
            parts.update = {**settings.SANDYQ_CSP_ADMIN_UPDATE, **(parts.update or {})}
        return parts

    @staticmethod
    def _in_admin(request) -> bool:
        return request.path_info.startswith(admin_prefix())

    @staticmethod
    def _is_html(response) -> bool:
        return (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and "Content-Encoding" not in response
        )

    @staticmethod
    def _nonce_initialisers(request, response):
        charset = response.charset or "utf-8"
        html = response.content.decode(charset)
        if "<script" not in html:
            return
        rewritten = add_nonces(html, str(request.csp_nonce))
        if rewritten != html:
            response.content = rewritten.encode(charset)
            if "Content-Length" in response:
                response["Content-Length"] = str(len(response.content))
