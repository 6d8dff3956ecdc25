"""axe-core (npm, pinned in package.json) over every public page type and the member
pages, at 1280 px and on a 375 px phone: no WCAG 2.1 A or AA violation."""

import json
from pathlib import Path

import pytest

from django.conf import settings

from docs_library.circulation import assignments
from home.models import HomePage
from tests.browser.conftest import sign_in, url_of
from tests.docs_library.lifecycle import days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
SCREENS = {"wide": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install` runs `npm ci`")
    return AXE.read_text()


@pytest.fixture(params=SCREENS, ids=list(SCREENS))
def screen(request, browser, live_server):
    # Another layer may send a Content-Security-Policy; axe is the test's script, not the page's.
    context = browser.new_context(
        base_url=live_server.url, locale="kk-KZ", viewport=SCREENS[request.param], bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def violations(page, url, axe_source) -> list[str]:
    response = page.goto(url)
    expected = 404 if "no-such-page" in url else 200
    assert response.status == expected, f"{url} answered {response.status}"
    assert response.request.redirected_from is None, f"{url} was sent to {page.url}"
    page.add_script_tag(content=axe_source)
    result = page.evaluate(RUN_AXE, WCAG_21_AA)
    return [
        f"{url}: {violation['id']} ({violation['impact']}) {violation['help']}: "
        + json.dumps([node["target"] for node in violation["nodes"]][:5], ensure_ascii=False)
        for violation in result["violations"]
    ]


def check_all(page, urls, axe_source):
    found = []
    for url in urls:
        found += violations(page, url, axe_source)
    assert not found, "\n".join(found)


def test_axe_finds_what_it_is_asked_to_find(page, axe_source):
    """The check itself: a field without a label and grey on white are violations."""
    page.set_content(
        '<html lang="kk"><title>t</title><main><input type="text">'
        '<p style="color:#bbb;background:#fff">Құжаттар</p></main></html>'
    )
    page.add_script_tag(content=axe_source)
    result = page.evaluate(RUN_AXE, WCAG_21_AA)
    assert {"label", "color-contrast"} <= {violation["id"] for violation in result["violations"]}


def test_public_pages_have_no_wcag_violations(screen, party, axe_source):
    home = HomePage.objects.get()
    check_all(
        screen,
        [
            url_of(home),
            url_of(party["region"]),
            url_of(party["district"]),
            url_of(party["primary"]),
            url_of(party["library"]),
            url_of(party["record"]),
            url_of(party["index"]),
            url_of(party["announcement"]),
            "/kk/search/?q=шешім",
            "/kk/search/?q=жоқсөзбенеш",  # no results
            "/kk/accounts/login/",
            "/kk/no-such-page/",
            "/ru/",
            "/en/search/?q=decision",
        ],
        axe_source,
    )


def test_member_pages_have_no_wcag_violations(screen, party, axe_source):
    from django.contrib.auth import get_user_model

    primary, record = party["primary"], party["circular"]
    editor = get_user_model().objects.get(username="phone.editor")
    assignment, _created = assignments.issue(
        record,
        editor,
        text="Бастауыш ұйымдарда жиналыс өткізіп, хаттаманы жіберу",
        deadline=days(7),
        executors=[primary],
    )
    execution = assignment.executions.get()

    sign_in(screen, "phone.member", "member-pass")
    check_all(
        screen,
        [
            "/kk/circulars/",
            f"/kk/circulars/inbox/{primary.pk}/",  # circulars and assignments to execute
            f"/kk/circulars/executions/{execution.pk}/",
            "/kk/circulars/mail/",
            "/kk/search/archive/?q=шешім",
        ],
        axe_source,
    )
    sign_in(screen, "phone.editor", "editor-pass")
    check_all(
        screen,
        [
            "/kk/circulars/",
            f"/kk/circulars/sent/{record.pk}/",
            f"/kk/circulars/assign/{record.pk}/",
            f"/kk/circulars/assignments/{assignment.pk}/",
            url_of(record),
            "/kk/search/archive/?q=шешім",
        ],
        axe_source,
    )


def axe_here(page, axe_source) -> list[str]:
    """Violations on the page as it is now (after a form was sent back with errors)."""
    page.add_script_tag(content=axe_source)
    result = page.evaluate(RUN_AXE, WCAG_21_AA)
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}) {violation['help']}"
        for violation in result["violations"]
    ]


def test_forms_sent_back_with_errors_have_no_wcag_violations(screen, party, axe_source):
    screen.goto("/kk/accounts/login/")
    screen.fill("input[name=username]", "phone.member")
    screen.fill("input[name=password]", "wrong-password")
    screen.locator("main button[type=submit]").click()
    screen.wait_for_load_state()
    assert screen.locator("main .errorlist, main [role=alert], main .error").count() > 0
    found = axe_here(screen, axe_source)

    sign_in(screen, "phone.editor", "editor-pass")
    screen.goto(f"/kk/circulars/assign/{party['circular'].pk}/")
    screen.fill("textarea[name=text]", "Жиналыс өткізу")
    screen.check(f"input[name=executors][value='{party['primary'].pk}']")
    screen.fill("input[name=deadline]", "2000-01-01")  # in the past: refused by the server
    screen.locator("main button[type=submit]").click()
    screen.wait_for_load_state()
    assert screen.locator("main .errorlist").count() > 0  # sent back with the reason
    found += axe_here(screen, axe_source)
    assert not found, "\n".join(found)
