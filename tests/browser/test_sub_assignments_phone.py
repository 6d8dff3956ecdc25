"""Passing a sub-assignment down and reporting with a file on a 375 px phone: the
district's editor passes the region's assignment to its primary organisation, the
primary's member reports with a file, and the region's author follows both."""

import pytest

from docs_library.circulation import assignments
from docs_library.models import Assignment, ExecutionState, ReportFile
from home import roles
from tests.browser.conftest import sign_in
from tests.browser.test_phones import assert_fits, phone, shots  # noqa: F401
from tests.docs_library import samples
from tests.docs_library.lifecycle import days
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_passing_down_and_reporting_with_a_file_fit_a_phone(phone, party, shots, tmp_path):  # noqa: F811
    author = UserFactory(username="phone.author", password="author-pass")
    roles.grant(roles.MANAGER, author, party["region"])
    district_editor = UserFactory(username="phone.district", password="district-pass")
    roles.grant(roles.EDITOR, district_editor, party["district"])
    assignment, _created = assignments.issue(
        party["circular"],
        author,
        text="Аудандағы бастауыш ұйымдарда жиналыс өткізу",
        deadline=days(10),
        executors=[party["district"]],
    )
    parent = assignment.executions.get()

    sign_in(phone, "phone.district", "district-pass")
    assert_fits(phone, f"/kk/circulars/executions/{parent.pk}/", "pass-on-execution", shots)
    phone.locator(f"a[href$='/executions/{parent.pk}/pass-on/']").click()
    phone.wait_for_load_state()
    assert_fits(phone, phone.url, "pass-on-form", shots)
    phone.fill("textarea[name=text]", "Жиналыс өткізіп, хаттаманы жіберу")
    phone.fill("input[name=deadline]", days(7).isoformat())
    phone.check(f"input[name=executors][value='{party['primary'].pk}']")
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_load_state()
    sub = Assignment.objects.get(parent=parent)
    execution = sub.executions.get()

    sign_in(phone, "phone.member", "member-pass")
    assert_fits(phone, f"/ru/circulars/executions/{execution.pk}/", "report-with-file-ru", shots)
    pdf = tmp_path / "Хаттама.pdf"
    pdf.write_bytes(samples.kazakh_pdf(text="Жиналыс хаттамасы"))
    phone.fill("textarea[name=report]", "Жиналыс өтті, хаттама қоса беріледі")
    phone.set_input_files("input[name=files]", str(pdf))
    phone.locator("form[action$='/report/'] button").click()
    phone.wait_for_load_state()
    execution.refresh_from_db()
    assert execution.state == ExecutionState.REPORTED
    made = ReportFile.objects.get(execution=execution).record
    assert phone.locator(f"[data-report-file='{made.pk}']").is_visible()

    sign_in(phone, "phone.author", "author-pass")
    assert_fits(phone, f"/kk/circulars/assignments/{assignment.pk}/", "sub-progress", shots)
    assert phone.locator(f"[data-sub-assignment='{sub.pk}']").is_visible()
