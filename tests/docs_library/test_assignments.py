"""Assignments: who may issue, report, accept and return; states and overdue; bad input."""

import datetime
import uuid
from unittest import mock

import pytest

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from wagtail.models import PageLogEntry

from docs_library import access
from docs_library.circulation import assignments
from docs_library.models import Assignment, Execution, ExecutionState
from home import roles
from tests.docs_library.lifecycle import days, library_of, person, primaries, publish
from tests.factories import DistrictFactory, DocumentPageFactory, PrimaryFactory, RegionFactory


@pytest.fixture
def party(home):
    """Karaganda (a district with two primaries, one primary of its own) and Akmola."""
    karaganda = RegionFactory(parent=home, title="Қарағанды облысы", name_en="Karaganda")
    district = DistrictFactory(parent=karaganda, title="Абай ауданы")
    inner = primaries(district, 2)
    direct = PrimaryFactory(parent=karaganda, title="«Шахтер» БПҰ")
    akmola = RegionFactory(parent=home, title="Ақмола облысы", name_en="Akmola")
    elsewhere = PrimaryFactory(parent=akmola, title="«Көкшетау» БПҰ")
    author = person(roles.CONTRIBUTOR, karaganda, username="author")
    record = DocumentPageFactory(
        parent=library_of(karaganda),
        live=False,
        title="Құпия шешім ZX-TOKEN-7731",
        access_level="organisation",
        owner=author,
    )
    publish(record)
    return {
        "home": home,
        "karaganda": karaganda,
        "district": district,
        "primaries": [*inner, direct],
        "akmola": akmola,
        "elsewhere": elsewhere,
        "author": author,
        "record": record,
    }


def issue(party, executors=None, deadline=None, **kwargs):
    assignment, _created = assignments.issue(
        party["record"],
        party["author"],
        text="Жиналыс өткізіп, хаттаманы жіберу",
        deadline=deadline or days(10),
        executors=executors or party["primaries"][:1],
        **kwargs,
    )
    return assignment


def actions(record):
    return list(
        PageLogEntry.objects.filter(page=record)
        .filter(action__startswith="sandyq.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "where", "allowed"),
    [
        (roles.EDITOR, "karaganda", True),
        (roles.REVIEWER, "karaganda", True),
        (roles.MANAGER, "karaganda", True),
        (roles.READER, "karaganda", False),
        (roles.CONTRIBUTOR, "karaganda", False),  # not the author
        (roles.EDITOR, "akmola", False),  # a sibling region
        (roles.EDITOR, "district", False),  # below the record's organisation
        (roles.READER, "elsewhere", False),
    ],
)
def test_who_may_issue_by_role_and_place(party, role, where, allowed):
    user = person(role, party[where])
    assert access.may_issue_assignment(user, party["record"]) is allowed


def test_the_author_may_issue_and_a_signed_out_visitor_may_not(party):
    assert access.may_issue_assignment(party["author"], party["record"])
    assert not access.may_issue_assignment(AnonymousUser(), party["record"])


def test_a_region_editor_may_not_issue_on_a_record_below_a_block(party):
    district = party["district"]
    record = DocumentPageFactory(parent=library_of(district), access_level="organisation")
    editor = person(roles.EDITOR, party["karaganda"])
    assert access.may_issue_assignment(editor, record)
    roles.set_inheritance_blocked(district, True)
    roles.forget(editor)
    assert not access.may_issue_assignment(person(roles.EDITOR, party["karaganda"]), record)


def test_who_may_report_and_the_executor_sees_the_record(party):
    executor, other = party["primaries"][0], party["primaries"][1]
    member = person(roles.READER, executor)
    stranger = person(roles.READER, other)
    assert not access.can_view(member, party["record"])
    execution = issue(party).executions.get()
    assert access.can_view(person(roles.READER, executor), party["record"])
    assert access.may_report(person(roles.READER, executor), execution)
    assert access.may_report(person(roles.READER, party["karaganda"]), execution)  # inherited
    assert not access.may_report(stranger, execution)
    assert not access.can_view(stranger, party["record"])
    assert not access.may_report(person(roles.EDITOR, party["akmola"]), execution)
    assert not access.may_report(AnonymousUser(), execution)


def test_who_may_accept_and_return(party):
    assignment = issue(party)
    assert access.may_decide(party["author"], assignment)
    assert access.may_decide(person(roles.EDITOR, party["karaganda"]), assignment)
    assert access.may_decide(person(roles.MANAGER, party["karaganda"]), assignment)
    assert not access.may_decide(person(roles.READER, party["karaganda"]), assignment)
    assert not access.may_decide(person(roles.READER, party["primaries"][0]), assignment)
    assert not access.may_decide(person(roles.MANAGER, party["akmola"]), assignment)
    assert not access.may_decide(AnonymousUser(), assignment)


# --- states and overdue ---------------------------------------------------------------------


def test_the_states_from_issued_to_accepted_with_a_return_between(party):
    execution = issue(party).executions.get()
    member = person(roles.READER, party["primaries"][0])
    assert execution.state == ExecutionState.ISSUED
    assignments.start(execution, member)
    assert execution.state == ExecutionState.IN_PROGRESS
    assignments.report(execution, member, "Жиналыс өтті")
    assignments.return_for_rework(execution, party["author"], "Хаттама жоқ")
    execution.refresh_from_db()
    assert (execution.state, execution.comment) == (ExecutionState.RETURNED, "Хаттама жоқ")
    assignments.report(execution, member, "Хаттама қоса берілді")
    assignments.accept(execution, party["author"])
    execution.refresh_from_db()
    assert execution.state == ExecutionState.ACCEPTED
    assert execution.report == "Хаттама қоса берілді"
    assert actions(party["record"]) == [
        "sandyq.assignment_issue",
        "sandyq.execution_start",
        "sandyq.execution_report",
        "sandyq.execution_return",
        "sandyq.execution_report",
        "sandyq.execution_accept",
    ]


def test_overdue_when_the_deadline_passes_unreported(party):
    first, second = party["primaries"][:2]
    assignment = issue(party, executors=[first, second], deadline=days(2))
    reported = assignment.executions.get(organisation=second)
    assignments.report(reported, person(roles.READER, second), "Орындалды")
    later = timezone.now() + datetime.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=later):
        states = {e.organisation_id: e.is_overdue() for e in assignment.executions.all()}
        totals = assignments.counts([assignment])[assignment.pk]
    assert states == {first.pk: True, second.pk: False}
    assert totals["overdue"] == 1
    assert not assignment.executions.get(organisation=first).is_overdue()  # today: not yet


# --- bad input ------------------------------------------------------------------------------


def test_a_deadline_in_the_past_is_refused_and_nothing_is_saved(party):
    with pytest.raises(ValidationError):
        issue(party, deadline=days(-1))
    assert not Assignment.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            record=party["record"],
            organisation=party["karaganda"],
            text="x",
            deadline=days(-1),
        )


def test_an_executor_outside_the_authors_subtree_is_refused(party):
    with pytest.raises(ValidationError):
        issue(party, executors=[party["primaries"][0], party["elsewhere"]])
    with pytest.raises(ValidationError):
        issue(party, executors=[party["karaganda"]])  # its own organisation is not below
    assert not Assignment.objects.exists()
    assert not Execution.objects.exists()


def test_a_report_on_an_accepted_execution_is_refused(party):
    execution = issue(party).executions.get()
    member = person(roles.READER, party["primaries"][0])
    assignments.report(execution, member, "Орындалды")
    assignments.accept(execution, party["author"])
    with pytest.raises(ValidationError, match="қабылданбайды"):
        assignments.report(execution, member, "Тағы бір есеп")
    execution.refresh_from_db()
    assert execution.report == "Орындалды"
    assert actions(party["record"]).count("sandyq.execution_report") == 1


def test_the_database_keeps_one_execution_per_organisation_and_accepted_work_decided(party):
    execution = issue(party).executions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Execution.objects.create(
            assignment=execution.assignment, organisation=party["primaries"][0]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Execution.objects.filter(pk=execution.pk).update(state=ExecutionState.ACCEPTED)


def test_a_double_submit_issues_once_and_reports_once(party, client):
    client.force_login(party["author"])
    data = {
        "text": "Есеп беру",
        "deadline": days(5).isoformat(),
        "report_required": "on",
        "executors": [party["primaries"][0].pk],
        "submission": str(uuid.uuid4()),
    }
    url = reverse("circulars:assign", args=[party["record"].pk])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Assignment.objects.count() == 1
    execution = Execution.objects.get()
    client.force_login(person(roles.READER, party["primaries"][0]))
    report_url = reverse("circulars:execution_report", args=[execution.pk])
    client.post(report_url, {"report": "Бірінші"})
    response = client.post(report_url, {"report": "Екінші"}, follow=True)
    execution.refresh_from_db()
    assert execution.report == "Бірінші"
    assert "awaits" in response.content.decode() or "шешімін" in response.content.decode()


def test_the_form_says_what_is_wrong_in_the_readers_language(party, client):
    client.force_login(party["author"])
    url = reverse("circulars:assign", args=[party["record"].pk])
    response = client.post(
        url,
        {
            "text": "Есеп беру",
            "deadline": days(-3).isoformat(),
            "executors": [party["elsewhere"].pk],
            "submission": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Assignment.objects.exists()
    response = client.post(
        url,
        {
            "text": "Есеп беру",
            "deadline": days(-3).isoformat(),
            "executors": [party["primaries"][0].pk],
            "submission": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "Мерзім өткен күн бола алмайды." in response.content.decode()
    assert not Assignment.objects.exists()


# --- the pages ------------------------------------------------------------------------------


def test_the_loop_through_the_pages(party, client):
    executor = party["primaries"][0]
    client.force_login(party["author"])
    record_page = client.get(party["record"].url)
    assert reverse("circulars:assign", args=[party["record"].pk]) in record_page.content.decode()
    form = client.get(reverse("circulars:assign", args=[party["record"].pk]))
    assert executor.title in form.content.decode()
    assert party["elsewhere"].title not in form.content.decode()
    client.post(
        reverse("circulars:assign", args=[party["record"].pk]),
        {
            "text": "Жиналыс өткізу",
            "deadline": days(5).isoformat(),
            "executors": [executor.pk, party["primaries"][1].pk],
            "responsible": executor.pk,
            "submission": str(uuid.uuid4()),
        },
    )
    assignment = Assignment.objects.get()
    assert assignment.responsible_id == executor.pk
    execution = assignment.executions.get(organisation=executor)

    member = person(roles.READER, executor)
    client.force_login(member)
    inbox = client.get(reverse("circulars:inbox", args=[executor.pk])).content.decode()
    assert reverse("circulars:execution", args=[execution.pk]) in inbox
    assert client.get(reverse("circulars:execution", args=[execution.pk])).status_code == 200
    client.post(reverse("circulars:execution_report", args=[execution.pk]), {"report": "Өтті"})

    client.force_login(party["author"])
    page = client.get(reverse("circulars:assignment", args=[assignment.pk])).content.decode()
    assert "Өтті" in page
    client.post(
        reverse("circulars:execution_decide", args=[execution.pk]),
        {"decision": "return", "comment": "Хаттаманы қосыңыз"},
    )
    execution.refresh_from_db()
    assert execution.state == ExecutionState.RETURNED
    index = client.get(reverse("circulars:index")).content.decode()
    assert reverse("circulars:assignment", args=[assignment.pk]) in index


def test_pages_answer_404_to_those_who_may_not_and_never_show_the_hidden_title(party, client):
    execution = issue(party).executions.get()
    assignment = execution.assignment
    urls = [
        ("get", reverse("circulars:execution", args=[execution.pk])),
        ("post", reverse("circulars:execution_report", args=[execution.pk])),
        ("post", reverse("circulars:execution_start", args=[execution.pk])),
        ("get", reverse("circulars:assignment", args=[assignment.pk])),
        ("post", reverse("circulars:execution_decide", args=[execution.pk])),
        ("get", reverse("circulars:assign", args=[party["record"].pk])),
    ]
    sibling = party["primaries"][1]
    client.force_login(person(roles.EDITOR, sibling))
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert "ZX-TOKEN-7731" not in response.content.decode()
    inbox = client.get(reverse("circulars:inbox", args=[sibling.pk])).content.decode()
    assert "ZX-TOKEN-7731" not in inbox
    client.logout()
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "login" in response["Location"]
    execution.refresh_from_db()
    assert execution.state == ExecutionState.ISSUED
    client.force_login(person(roles.READER, party["primaries"][0]))
    page = client.get(reverse("circulars:execution", args=[execution.pk])).content.decode()
    assert "ZX-TOKEN-7731" in page
