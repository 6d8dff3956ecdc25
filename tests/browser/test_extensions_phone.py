"""Asking for a new deadline and answering it on a 375 px phone, in Kazakh and
Russian: the forms fit, and the executor's request reaches the author's page."""

import pytest

from docs_library.circulation import assignments
from docs_library.models import ExtensionState
from home import roles
from tests.browser.conftest import sign_in
from tests.browser.test_phones import assert_fits, phone, shots  # noqa: F401
from tests.docs_library.lifecycle import days
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_asking_and_granting_a_new_deadline_fit_a_phone(phone, party, shots):  # noqa: F811
    author = UserFactory(username="phone.author", password="author-pass")
    roles.grant(roles.MANAGER, author, party["region"])
    assignment, _created = assignments.issue(
        party["circular"],
        author,
        text="Бастауыш ұйымдарда жиналыс өткізу",
        deadline=days(3),
        executors=[party["primary"]],
    )
    execution = assignment.executions.get()
    sign_in(phone, "phone.member", "member-pass")
    assert_fits(phone, f"/ru/circulars/executions/{execution.pk}/", "extension-ask-ru", shots)
    assert_fits(phone, f"/kk/circulars/executions/{execution.pk}/", "extension-ask-kk", shots)
    phone.fill("input[name=new_deadline]", days(20).isoformat())
    phone.fill("textarea[name=reason]", "Мүшелер егіс жұмысында, жиналыс кейінге қалды")
    phone.locator("form[action$='/extension/'] button").click()
    phone.wait_for_load_state()
    assert phone.locator("[data-extension=asked]").is_visible()
    sign_in(phone, "phone.author", "author-pass")
    assert_fits(phone, f"/kk/circulars/assignments/{assignment.pk}/", "extension-answer", shots)
    assert phone.get_by_text("егіс жұмысында").is_visible()
    phone.locator("button[value=grant]").click()
    phone.wait_for_load_state()
    execution.refresh_from_db()
    assert execution.due_on == days(20)
    assert execution.extension_requests.get().state == ExtensionState.GRANTED
