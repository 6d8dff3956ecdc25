"""Named people as executors of an assignment, and the responsible executor of
either kind: who may be named, their own execution, its report, its mail, and
where it counts in the discipline report and the journals."""

# The ``party`` fixture of test_assignments is imported; tests name it as their argument.
# ruff: noqa: F811

import uuid

import pytest

from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from wagtail.models import PageLogEntry

from docs_library import access
from docs_library.circulation import assignments, discipline
from docs_library.models import Assignment, Execution, ExecutionState, JournalEntry
from home import roles
from tests.docs_library.lifecycle import days, library_of, person, publish
from tests.docs_library.test_assignments import actions, issue, party  # noqa: F401
from tests.factories import DocumentPageFactory


def members_record(party):
    """A record every member may read: people anywhere in the subtree may be named on it."""
    record = DocumentPageFactory(
        parent=library_of(party["karaganda"], slug="members"),
        live=False,
        title="Мүшелерге шешім QX-NAMED-5512",
        access_level="members",
        owner=party["author"],
    )
    return publish(record)


def name_people(party, people, record=None, **kwargs):
    assignment, _created = assignments.issue(
        record or party["record"],
        party["author"],
        text="Баяндама дайындау",
        deadline=days(10),
        people=people,
        **kwargs,
    )
    return assignment


# --- who may be named ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "where", "level", "allowed"),
    [
        (roles.READER, "karaganda", "organisation", True),  # the issuing organisation itself
        (roles.CONTRIBUTOR, "karaganda", "organisation", True),
        (roles.EDITOR, "district", "members", True),
        (roles.REVIEWER, "district", "members", True),
        (roles.MANAGER, "district", "members", True),
        (roles.READER, "district", "organisation", False),  # below, cannot read the record
        (roles.EDITOR, "akmola", "members", False),  # a sibling region
        (roles.READER, "elsewhere", "members", False),
    ],
)
def test_who_may_be_named_by_role_place_and_reading(party, role, where, level, allowed):
    record = party["record"] if level == "organisation" else members_record(party)
    user = person(role, party[where])
    assert (user in access.nameable_people(party["karaganda"], record)) is allowed
    if allowed:
        name_people(party, [user], record=record)
    else:
        with pytest.raises(ValidationError, match="cannot be named|атала алмайды"):
            name_people(party, [user], record=record)


def test_a_person_behind_a_block_may_be_named_when_they_may_read_the_record(party):
    record = members_record(party)
    inner = party["primaries"][0]
    user = person(roles.READER, inner)
    roles.set_inheritance_blocked(party["district"], True)
    named = access.nameable_people(party["karaganda"], record)
    assert named[user] == inner.pk
    # An organisation-level record does not open behind the block: not nameable.
    assert user not in access.nameable_people(party["karaganda"], party["record"])


def test_a_signed_out_visitor_an_inactive_person_and_someone_without_a_role_are_never_named(party):
    inactive = person(roles.READER, party["karaganda"], is_active=False)
    nobody = person()
    named = access.nameable_people(party["karaganda"], party["record"])
    assert inactive not in named and nobody not in named
    with pytest.raises(ValidationError):
        name_people(party, [inactive])
    assert not Assignment.objects.exists()
    assert not access.may_report(AnonymousUser(), Execution(person_id=nobody.pk))


def test_a_person_counts_under_the_organisation_of_their_role_nearest_the_issuer(party):
    record = members_record(party)
    user = person(roles.READER, party["primaries"][0])
    roles.grant(roles.EDITOR, user, party["district"])  # higher up: nearer the issuer
    execution = name_people(party, [user], record=record).executions.get()
    assert (execution.person_id, execution.organisation_id) == (user.pk, None)
    assert execution.person_organisation_id == party["district"].pk


def test_a_role_through_a_group_counts(party):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Хатшылар")
    roles.grant(roles.READER, group, party["karaganda"])
    user = person()
    user.groups.add(group)
    assert access.nameable_people(party["karaganda"], party["record"])[user] == (
        party["karaganda"].pk
    )


# --- their own execution ---------------------------------------------------------------------


def test_each_named_person_executes_and_reports_themselves(party):
    first = person(roles.READER, party["karaganda"], username="aigerim")
    second = person(roles.EDITOR, party["karaganda"], username="bolat")
    colleague = person(roles.MANAGER, party["karaganda"])
    assignment = name_people(party, [first, second])
    mine = assignment.executions.get(person=first)
    assert assignment.executions.count() == 2
    assert access.may_report(first, mine)
    assert not access.may_report(second, mine)
    assert not access.may_report(colleague, mine)  # their organisation's staff do not
    assert not access.may_report(party["author"], mine)
    assert not access.may_report(AnonymousUser(), mine)
    assignments.report(mine, first, "Баяндама дайын")
    mine.refresh_from_db()
    assert mine.state == ExecutionState.REPORTED
    assert assignment.executions.get(person=second).state == ExecutionState.ISSUED
    assert actions(party["record"]) == ["sandyq.assignment_issue", "sandyq.execution_report"]
    issued = PageLogEntry.objects.get(page=party["record"], action="sandyq.assignment_issue")
    assert issued.data["people"] == [first.pk, second.pk]
    reported = PageLogEntry.objects.get(page=party["record"], action="sandyq.execution_report")
    assert reported.data["person"] == first.pk
    assert reported.data["organisation"] == party["karaganda"].pk


def test_the_named_person_finds_it_to_execute_and_a_colleague_does_not(party, client):
    named = person(roles.READER, party["karaganda"])
    colleague = person(roles.READER, party["karaganda"])
    execution = name_people(party, [named]).executions.get()
    url = reverse("circulars:execution", args=[execution.pk])
    client.force_login(named)
    assert url in client.get(reverse("circulars:index")).content.decode()
    inbox = client.get(reverse("circulars:inbox", args=[party["karaganda"].pk])).content.decode()
    assert url in inbox
    page = client.get(url)
    assert page.status_code == 200 and "ZX-TOKEN-7731" in page.content.decode()
    client.force_login(colleague)
    assert url not in client.get(reverse("circulars:index")).content.decode()
    inbox = client.get(reverse("circulars:inbox", args=[party["karaganda"].pk])).content.decode()
    assert url not in inbox
    assert client.get(url).status_code == 404
    assert client.post(reverse("circulars:execution_report", args=[execution.pk])).status_code == (
        404
    )
    client.logout()
    assert client.get(url).status_code == 302


def test_mail_goes_to_the_named_person_and_not_to_their_colleagues(party):
    named = person(roles.READER, party["karaganda"], email="named@example.kz")
    person(roles.READER, party["karaganda"], email="colleague@example.kz")
    mail.outbox.clear()
    execution = name_people(party, [named]).executions.get()
    assert [message.to for message in mail.outbox] == [["named@example.kz"]]
    assert "ZX-TOKEN-7731" in mail.outbox[0].body
    mail.outbox.clear()
    assignments.report(execution, named, "Дайын")
    assignments.return_for_rework(execution, party["author"], "Толықтырыңыз")
    assert ["named@example.kz"] in [message.to for message in mail.outbox]
    assert all("colleague@example.kz" not in message.to for message in mail.outbox)


def test_a_named_person_counts_in_the_discipline_report_under_their_organisation(party):
    record = members_record(party)
    inner = party["primaries"][0]
    user = person(roles.READER, inner)
    execution = name_people(party, [user], record=record).executions.get()
    assignments.report(execution, user, "Орындалды")
    period = discipline.Period.containing(days(0))
    grouped = discipline.by_organisation(party["karaganda"], period)
    assert grouped[f"{inner.pk} {inner.path}"].executed_on_time == 1
    rated = {item.pk: item for item in discipline.rating(party["karaganda"], period)}
    assert rated[inner.pk].figures.assignments == 1
    assert rated[inner.pk].figures.executed_on_time == 1
    report = discipline.report(party["karaganda"], period)
    assert report.totals.assignments == 1


def test_the_journal_of_the_persons_organisation_registers_it_once(party):
    first = person(roles.READER, party["karaganda"])
    second = person(roles.EDITOR, party["karaganda"])
    assignment = name_people(party, [first, second])
    incoming = JournalEntry.objects.filter(assignment=assignment, kind="incoming")
    assert list(incoming.values_list("organisation_id", flat=True)) == [party["karaganda"].pk]
    assignments.report(assignment.executions.get(person=first), first, "Дайын")
    outgoing = JournalEntry.objects.filter(assignment=assignment, kind="outgoing")
    assert list(outgoing.values_list("organisation_id", flat=True)) == [party["karaganda"].pk]


# --- the responsible executor ----------------------------------------------------------------


def test_a_responsible_executor_of_either_kind(party, client):
    named = person(roles.READER, party["karaganda"], first_name="Айгерім", last_name="Сәрсен")
    executor = party["primaries"][0]
    by_person = issue(party, executors=[executor], people=[named], responsible=named)
    assert (by_person.responsible_id, by_person.responsible_person_id) == (None, named.pk)
    by_organisation = issue(party, executors=[executor], people=[named], responsible=executor)
    assert (by_organisation.responsible_id, by_organisation.responsible_person_id) == (
        executor.pk,
        None,
    )
    with pytest.raises(ValidationError):
        issue(party, executors=[executor], responsible=named)  # not named
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=by_person.pk).update(responsible=executor)

    client.force_login(party["author"])
    page = client.get(reverse("circulars:assignment", args=[by_person.pk])).content.decode()
    row = page.split(f'data-execution="{by_person.executions.get(person=named).pk}"')[1]
    assert "data-responsible" in row.split("</tr>")[0]
    client.force_login(named)
    execution = by_person.executions.get(person=named)
    page = client.get(reverse("circulars:execution", args=[execution.pk])).content.decode()
    assert "Айгерім Сәрсен" in page and "data-responsible" in page


# --- the form and bad input ------------------------------------------------------------------


def test_the_form_names_people_and_chooses_the_responsible_one(party, client):
    named = person(roles.READER, party["karaganda"], first_name="Бауыржан", last_name="Омаров")
    client.force_login(party["author"])
    url = reverse("circulars:assign", args=[party["record"].pk])
    form = client.get(url).content.decode()
    assert "Бауыржан Омаров" in form
    response = client.post(
        url,
        {
            "text": "Баяндама",
            "deadline": days(5).isoformat(),
            "people": [named.pk],
            "responsible": f"person-{named.pk}",
            "submission": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.responsible_person_id == named.pk
    assert assignment.executions.get().person_id == named.pk


def test_the_form_refuses_someone_who_may_not_be_named_in_the_readers_language(party, client):
    stranger = person(roles.READER, party["elsewhere"])
    below = person(roles.READER, party["district"])  # cannot read the record
    client.force_login(party["author"])
    url = reverse("circulars:assign", args=[party["record"].pk])
    for user in (stranger, below):
        response = client.post(
            url,
            {
                "text": "Баяндама",
                "deadline": days(5).isoformat(),
                "people": [user.pk],
                "submission": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 200
        assert "Орындаушы ретінде аталған адамның" in response.content.decode()
    response = client.post(
        url, {"text": "Баяндама", "deadline": days(5).isoformat(), "submission": str(uuid.uuid4())}
    )
    assert "Кемінде бір орындаушыны таңдаңыз" in response.content.decode()
    assert not Assignment.objects.exists()
    assert not Execution.objects.exists()


def test_the_database_keeps_one_execution_per_person_and_exactly_one_executor(party):
    named = person(roles.READER, party["karaganda"])
    assignment = name_people(party, [named])
    with pytest.raises(IntegrityError), transaction.atomic():
        Execution.objects.create(
            assignment=assignment, person=named, person_organisation=party["karaganda"]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Execution.objects.create(
            assignment=assignment,
            organisation=party["primaries"][0],
            person=person(),
            person_organisation=party["karaganda"],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Execution.objects.create(assignment=assignment)
    with pytest.raises(IntegrityError), transaction.atomic():
        Execution.objects.create(assignment=assignment, person=person())  # counted nowhere
    assert assignment.executions.count() == 1
