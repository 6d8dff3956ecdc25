"""Every kind of page, public, member and admin, runs under the site's
Content-Security-Policy without one violation, and its JavaScript still works.

Chromium reports each thing a policy blocks (or would block, in report-only
mode) as a ``securitypolicyviolation`` event and a console error naming the
Content Security Policy. An init script forwards the events of every page and
frame to the test, and the console is recorded, across navigations; each page
is then asked for something only its JavaScript makes, so a page whose scripts
were silently blocked fails too.
"""

import pytest
import wagtail_factories
from playwright.sync_api import expect

from django.utils import translation

from docs_library.models import Execution
from home import roles
from tests.browser.conftest import sign_in
from tests.docs_library import samples
from tests.docs_library.lifecycle import circular, days, library_of
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DocumentPageFactory,
    UserFactory,
    library_document,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.sandyqCspViolation({
        page: location.href,
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        sample: event.sample,
        source: event.sourceFile + ":" + event.lineNumber,
        disposition: event.disposition,
    });
});
"""


class Watch:
    """What the browser blocked (or would block), and the page it was on."""

    def __init__(self, context):
        self.violations = []
        self.console = []
        context.expose_function("sandyqCspViolation", self.record)
        context.add_init_script(REPORT_VIOLATIONS)

    def record(self, violation):
        self.violations.append(violation)

    def listen(self, page):
        def on_console(message):
            if message.type == "error" and "Content Security Policy" in message.text:
                self.console.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        return page

    def assert_clean(self, where):
        found = self.violations + self.console
        assert not found, f"CSP violations ({where}): {found}"


@pytest.fixture
def watched(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="kk-KZ")
    watch = Watch(context)
    page = watch.listen(context.new_page())
    page.set_default_timeout(15_000)
    yield page, watch
    context.close()


@pytest.fixture
def party(tree):
    """One page of every type, a circular with an assignment, a file and an image."""
    region, primary = tree["region"], tree["primary"]
    library = library_of(region, title="Облыстық кеңестің шешімдері")
    attachment = library_document(
        samples.kazakh_txt(),
        "Хаттама.txt",
        title="Хаттама",
        collection=roles.collection_for(library),
    )
    record = DocumentPageFactory(
        parent=library,
        title="Бастауыш ұйымдардың жиналыстары туралы шешім",
        registration_number="02-Ш/2026-0001",
        main_file=attachment,
    )
    record.save_revision()
    letter = circular(
        library,
        addressing="level",
        level="primary",
        title="Құжат айналымына көшу туралы циркуляр",
        deadline=days(14),
    )
    index = AnnouncementIndexFactory(parent=region, title="Облыс жаңалықтары")
    announcement = AnnouncementFactory(parent=index, title="Облыстық семинар")
    announcement.body = [("paragraph", "<p>Семинар сәуірде өтеді.</p>")]
    announcement.save_revision()
    wagtail_factories.ImageFactory(title="Семинар суреті", collection=roles.collection_for(region))
    member = UserFactory(username="csp.member", first_name="Меруерт", password="member-pass")
    editor = UserFactory(username="csp.editor", first_name="Айгүл", password="editor-pass")
    UserFactory(
        username="csp.root",
        password="root-pass",
        email="root@example.kz",
        is_superuser=True,
        is_staff=True,
    )
    roles.grant(roles.READER, member, primary)
    roles.grant(roles.EDITOR, editor, region)
    return {
        **tree,
        "library": library,
        "record": record,
        "circular": letter,
        "index": index,
        "announcement": announcement,
    }


def url_of(page_model):
    with translation.override("kk"):
        return page_model.get_url()


def visit(page, url, *, status=200):
    response = page.goto(url)
    assert response.status == status, f"{url} answered {response.status}"
    page.wait_for_load_state("networkidle")


def sign_in_to_admin(page, username, password):
    page.context.clear_cookies()
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    page.wait_for_load_state("networkidle")


def test_public_pages_run_under_the_policy(watched, party):
    page, watch = watched
    for url in [
        "/kk/",
        "/ru/",
        url_of(party["region"]),
        url_of(party["district"]),
        url_of(party["primary"]),
        url_of(party["library"]),
        url_of(party["record"]),
        url_of(party["index"]),
        url_of(party["announcement"]),
        "/kk/accounts/login/",
        "/kk/accounts/password-reset/",
    ]:
        visit(page, url)
    visit(page, "/kk/жоқ-бет/", status=404)
    assert page.locator("main form input[name=q]").count() == 1

    # The search page's own script: suggestions appear under the box as one types.
    visit(page, "/kk/search/?q=шешім")
    assert page.locator(".search-result").count() >= 1
    page.locator("#search-q").fill("Бастауыш")
    expect(page.locator("#search-suggestions a").first).to_be_visible()
    watch.assert_clean("public pages")


def test_member_pages_run_under_the_policy(watched, party):
    page, watch = watched
    primary = party["primary"]
    sign_in(page, "csp.editor", "editor-pass")
    visit(page, f"/kk/circulars/assign/{party['circular'].pk}/")
    page.fill("textarea[name=text]", "Жиналыс өткізіп, хаттаманы жіберу")
    page.fill("input[name=deadline]", days(7).isoformat())
    page.check(f"input[name=executors][value='{primary.pk}']")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    execution = Execution.objects.get(organisation=primary)
    for url in [
        "/kk/circulars/",
        f"/kk/circulars/sent/{party['circular'].pk}/",
        f"/kk/circulars/assignments/{execution.assignment_id}/",
        "/kk/search/archive/?q=шешім",
        "/kk/circulars/mail/",
    ]:
        visit(page, url)

    sign_in(page, "csp.member", "member-pass")
    for url in [
        "/kk/circulars/",
        f"/kk/circulars/inbox/{primary.pk}/",
        f"/kk/circulars/executions/{execution.pk}/",
        "/kk/circulars/mail/",
        url_of(party["circular"]),
    ]:
        visit(page, url)
    watch.assert_clean("member pages")


def walk_the_admin(page, party):
    """The admin pages an editor spends the day on, each asked to show its JavaScript."""
    record, region = party["record"], party["region"]
    # The dashboard's sidebar is drawn by React.
    visit(page, "/admin/")
    expect(page.locator("[data-side-panel-toggle], .sidebar-main-menu").first).to_be_attached()

    visit(page, f"/admin/pages/{region.pk}/")
    expect(page.get_by_role("link", name=party["library"].title).first).to_be_visible()
    visit(page, f"/admin/pages/{party['library'].pk}/")

    # A record's editor: Draftail draws the rich-text editor, the inline panel
    # adds an attachment form, the date field opens its calendar, the document
    # chooser opens its modal.
    visit(page, f"/admin/pages/{record.pk}/edit/")
    expect(page.locator(".Draftail-Editor .public-DraftEditor-content").first).to_be_visible()
    attachments = page.locator("#id_attachments-FORMS > [id^='inline_child_attachments-']")
    before = attachments.count()
    page.locator("#id_attachments-ADD").click()
    expect(attachments).to_have_count(before + 1)
    page.locator("#id_document_date").click()
    expect(page.locator(".xdsoft_datetimepicker:visible")).to_have_count(1)
    page.keyboard.press("Escape")
    # The chooser of the attachment form just added (its initialiser came with
    # the form) opens the document chooser and takes the file chosen there.
    chooser = page.locator(f"#id_attachments-{before}-document-chooser")
    chooser.locator("[data-chooser-action-choose]").click()
    modal = page.locator(".modal")
    modal.locator("input[name=q]").fill("Хаттама")
    modal.get_by_role("link", name="Хаттама", exact=True).click()
    expect(chooser.locator("[data-chooser-title]")).to_have_text("Хаттама")
    # The preview panel shows the record, as the public page, in a same-origin frame.
    page.locator("[data-side-panel-toggle='preview']").click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator("h1")).to_have_text(record.title)

    # An announcement's body is a StreamField, drawn entirely by JavaScript.
    visit(page, f"/admin/pages/{party['announcement'].pk}/edit/")
    stream = page.locator("[data-streamfield-stream-container]")
    expect(stream.locator(".Draftail-Editor").first).to_be_visible()

    for url in [
        "/admin/documents/",
        "/admin/documents/?q=Хаттама",
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/reports/workflow/",
        "/admin/reports/page-types-usage/",
        "/admin/pages/search/?q=шешім",
        f"/admin/pages/{record.pk}/history/",
        "/admin/account/",
    ]:
        visit(page, url)
    visit(page, "/admin/documents/multiple/add/")
    expect(page.locator("#fileupload")).to_be_attached()


def test_an_editor_works_in_the_admin_under_the_policy(watched, party):
    page, watch = watched
    sign_in_to_admin(page, "csp.editor", "editor-pass")
    walk_the_admin(page, party)
    watch.assert_clean("admin as a region's editor")


def test_a_superuser_works_in_the_admin_under_the_policy(watched, party):
    page, watch = watched
    sign_in_to_admin(page, "csp.root", "root-pass")
    walk_the_admin(page, party)
    # What only a superuser may open: images (the editor's role has no image
    # permissions), locked pages, sharing, archiving, users, groups, sites, workflows.
    for url in [
        "/admin/images/",
        f"/admin/sharing/{party['region'].pk}/",
        f"/admin/documents/archive/{party['record'].pk}/",
        f"/admin/documents/{party['record'].main_file_id}/versions/",
        "/admin/reports/locked/",
        "/admin/users/",
        "/admin/groups/",
        "/admin/sites/",
        "/admin/workflows/list/",
    ]:
        visit(page, url)
    watch.assert_clean("admin as a superuser")
