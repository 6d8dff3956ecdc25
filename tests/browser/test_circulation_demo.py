"""Issue #16's loop in Debian's Chromium on the demo data, in Kazakh, Russian and English:
the Karaganda branch's editor issues an assignment to two of Temirtau's primary
organisations, one executor asks for a new deadline and the author grants it, the
other reports on time, the first reports after its deadline, the author accepts one
report and returns the other with a comment, and the branch's reviewer sees the
discipline report and the rating change.

Nobody here is a superuser: the author is the demo's ``karaganda.editor`` (Editor of
the issuing branch), the executors are Editors of their primary organisations (the
demo's ``yntymaq.editor`` and one made here), the reviewer is the demo's
``karaganda.reviewer``. "After the deadline" is the clock moved a week on
(time-machine moves it for the live server's thread too), never a sleep.

The demo is loaded once (a minute: its records have generated files and their text
extracted) and the loop runs in each language on it, each time with an assignment of
its own: the live server's tests empty the database after each test, so a test per
language would load the demo three times.
"""

import datetime
import io

import pytest
import time_machine

from django.core.management import call_command
from django.utils import timezone

from docs_library.circulation.discipline import Period
from docs_library.models import Assignment, Execution, ExtensionState
from home import roles
from home.models import DistrictBranchPage, PrimaryOrganisationPage
from tests.browser.conftest import sign_in
from tests.docs_library.lifecycle import words
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("kk", "ru", "en")
FIGURES = ("assignments", "executed_on_time", "executed_late", "overdue", "extensions")


@pytest.fixture
def people_pages(browser, live_server):
    """One browser context per person, each signed in once (``sign_in``)."""
    contexts = []

    def signed_in(username, password):
        context = browser.new_context(base_url=live_server.url, locale="kk-KZ")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, username, password)
        return page

    yield signed_in
    for context in contexts:
        context.close()


def later(days: int):
    """The clock ``days`` on, ticking, for this test and the live server alike."""
    return time_machine.travel(timezone.now() + datetime.timedelta(days=days), tick=True)


def said(page, language, msgid):
    """The page shows the message ``msgid`` in ``language``."""
    text = words(language, msgid)
    assert page.get_by_text(text, exact=False).first.is_visible(), text


def figures(page, url) -> dict:
    page.goto(url)
    numbers = {
        name: int(page.locator(f"[data-totals] [data-figure={name}]").inner_text())
        for name in FIGURES
    }
    return numbers


def rated(page, organisation) -> dict:
    """An organisation's row of the rating: due, on time, late, overdue now."""
    cells = page.locator(f"tr[data-rated='{organisation.pk}'] td").all_inner_texts()
    return dict(zip(("due", "on_time", "late", "missed"), map(int, cells[2:6]), strict=True))


def test_the_assignment_loop_on_the_demo_in_kazakh_russian_and_english(home, people_pages):
    """``home``: the central office as the migrations make it (a transactional test
    before this one may have emptied the database)."""
    call_command("load_demo", primary_organisations=0, stdout=io.StringIO())
    temirtau = DistrictBranchPage.objects.get(name_en="Temirtau City Branch")
    samal = PrimaryOrganisationPage.objects.child_of(temirtau).get(short_name="«Самал»")
    yntymaq = PrimaryOrganisationPage.objects.child_of(temirtau).get(short_name="«Ынтымақ»")
    decision = Assignment.objects.filter(organisation__title="Қарағанды облысы").first().record
    samal_editor = UserFactory(username="samal.editor", first_name="Гүлжан", password="samal-pass")
    roles.grant(roles.EDITOR, samal_editor, samal)

    author = people_pages("karaganda.editor", "sandyq-editor")
    on_time = people_pages("samal.editor", "samal-pass")
    late = people_pages("yntymaq.editor", "sandyq-editor")
    reviewer = people_pages("karaganda.reviewer", "sandyq-reviewer")

    for language in LANGUAGES:
        today = timezone.localdate()
        period = Period.containing(today)
        report_url = f"/{language}/circulars/discipline/{temirtau.pk}/?{period.query()}"
        with later(7):  # the discipline report as it will be read at the end
            before = figures(reviewer, report_url)
            before_rated = {page.pk: rated(reviewer, page) for page in (samal, yntymaq)}

        # The author issues an assignment on the branch's decision to two organisations.
        author.goto(f"/{language}/circulars/assign/{decision.pk}/")
        text = f"Форумның қорытындысы бойынша ұсыныстар жіберу ({language})"
        author.fill("textarea[name=text]", text)
        author.fill("input[name=deadline]", (today + datetime.timedelta(days=2)).isoformat())
        for organisation in (samal, yntymaq):
            author.check(f"input[name=executors][value='{organisation.pk}']")
        author.get_by_role("button", name=words(language, "Issue the assignment")).click()
        author.wait_for_load_state()
        said(author, language, "The assignment is issued.")
        assignment = Assignment.objects.get(text=text)
        executions = {e.organisation_id: e for e in Execution.objects.filter(assignment=assignment)}

        # «Ынтымақ» asks for a new deadline; the author grants it.
        late.goto(f"/{language}/circulars/executions/{executions[yntymaq.pk].pk}/")
        late.fill("input[name=new_deadline]", (today + datetime.timedelta(days=5)).isoformat())
        late.fill("textarea[name=reason]", "Төраға іссапарда, ұсыныстарды ол оралған соң бекітеміз")
        late.get_by_role("button", name=words(language, "Ask for a new deadline")).last.click()
        late.wait_for_load_state()
        said(late, language, "Your request for a new deadline is sent to the author.")

        author.goto(f"/{language}/circulars/assignments/{assignment.pk}/")
        assert author.get_by_text("Төраға іссапарда").is_visible()
        grant = author.locator("[data-extension-request] button[value=grant]")
        assert grant.inner_text() == words(language, "Grant")
        grant.click()
        author.wait_for_load_state()
        said(author, language, "The new deadline is granted.")
        request = executions[yntymaq.pk].extension_requests.get()
        assert request.state == ExtensionState.GRANTED

        # «Самал» reports on time.
        on_time.goto(f"/{language}/circulars/executions/{executions[samal.pk].pk}/")
        on_time.fill("textarea[name=report]", "Ұсыныстар тізімі дайын")
        on_time.get_by_role("button", name=words(language, "Send the report")).click()
        on_time.wait_for_load_state()
        said(on_time, language, "Your report is sent to the author.")

        with later(7):  # past even the granted deadline
            late.goto(f"/{language}/circulars/executions/{executions[yntymaq.pk].pk}/")
            said(late, language, "Overdue")
            late.fill("textarea[name=report]", "Кешіктік, ұсыныстар қоса беріледі")
            late.get_by_role("button", name=words(language, "Send the report")).click()
            late.wait_for_load_state()
            said(late, language, "Your report is sent to the author.")

            # The author accepts «Самал»'s report; the reviewer sees one on time, one late.
            author.goto(f"/{language}/circulars/assignments/{assignment.pk}/")
            row = author.locator(f"tr[data-execution='{executions[samal.pk].pk}']")
            row.locator("button[value=accept]").click()
            author.wait_for_load_state()
            said(author, language, "The report is accepted.")
            reported = figures(reviewer, report_url)
            assert {name: reported[name] - before[name] for name in FIGURES} == {
                "assignments": 2,
                "executed_on_time": 1,
                "executed_late": 1,
                "overdue": 0,
                "extensions": 1,
            }

            # It returns «Ынтымақ»'s with a comment: owed again, and past its deadline.
            row = author.locator(f"tr[data-execution='{executions[yntymaq.pk].pk}']")
            row.locator("textarea[name=comment]").fill("Ұсыныстарға мерзімдерін қосыңыз")
            row.locator("button[value=return]").click()
            author.wait_for_load_state()
            said(author, language, "The report is returned to the executor.")
            after = figures(reviewer, report_url)
            assert {name: after[name] - before[name] for name in FIGURES} == {
                "assignments": 2,
                "executed_on_time": 1,
                "executed_late": 0,
                "overdue": 1,
                "extensions": 1,
            }
            assert reviewer.get_by_text(words(language, "Execution discipline")).first.is_visible()
            # In the rating, «Самал» answered on time; «Ынтымақ» owes its work, overdue.
            changed = {
                page.pk: {k: v - before_rated[page.pk][k] for k, v in rated(reviewer, page).items()}
                for page in (samal, yntymaq)
            }
            assert changed[samal.pk] == {"due": 1, "on_time": 1, "late": 0, "missed": 0}
            assert changed[yntymaq.pk] == {"due": 1, "on_time": 0, "late": 0, "missed": 1}
            late.goto(f"/{language}/circulars/executions/{executions[yntymaq.pk].pk}/")
            assert late.get_by_text("Ұсыныстарға мерзімдерін қосыңыз").is_visible()
            said(late, language, "Returned by the author")
