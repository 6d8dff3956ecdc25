"""Sub-assignments: an executor organisation passes the work further down its own
subtree from its execution page; the parent's author follows their progress."""

# The ``party`` fixture of test_assignments is imported; tests name it as their argument.
# ruff: noqa: F811

import uuid

import pytest

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.urls import reverse

from wagtail.models import PageLogEntry

from docs_library import access
from docs_library.circulation import assignments
from docs_library.models import Assignment, ExecutionState
from home import roles
from tests.docs_library.lifecycle import days, person
from tests.docs_library.test_assignments import issue, party  # noqa: F401


@pytest.fixture
def passed(party):
    """An assignment from Karaganda to its district, due in ten days, and the district's editor."""
    parent = issue(party, executors=[party["district"]], deadline=days(10)).executions.get()
    party["parent"] = parent
    party["district_editor"] = person(roles.EDITOR, party["district"], username="district.editor")
    return party


def pass_down(party, executors=None, deadline=None, **kwargs):
    sub, _created = assignments.issue(
        party["record"],
        party["district_editor"],
        text="Бастауыш ұйымдарда жиналыс өткізу",
        deadline=deadline or days(7),
        executors=executors if executors is not None else party["primaries"][:1],
        parent=party["parent"],
        **kwargs,
    )
    return sub


# --- who may pass it down --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "where", "allowed"),
    [
        (roles.EDITOR, "district", True),
        (roles.REVIEWER, "district", True),
        (roles.MANAGER, "district", True),
        (roles.READER, "district", False),
        (roles.CONTRIBUTOR, "district", False),
        (roles.EDITOR, "karaganda", True),  # inherited down to the district
        (roles.EDITOR, "akmola", False),  # a sibling region
        (roles.MANAGER, "elsewhere", False),
    ],
)
def test_who_may_pass_a_sub_assignment_down(passed, role, where, allowed):
    user = person(role, passed[where])
    assert access.may_pass_on(user, passed["parent"]) is allowed


def test_a_sibling_across_a_block_and_a_signed_out_visitor_may_not(passed):
    sibling_editor = person(roles.EDITOR, passed["primaries"][2])  # Karaganda's own primary
    assert not access.may_pass_on(sibling_editor, passed["parent"])
    assert not access.may_pass_on(AnonymousUser(), passed["parent"])
    roles.set_inheritance_blocked(passed["district"], True)
    assert not access.may_pass_on(person(roles.EDITOR, passed["karaganda"]), passed["parent"])
    assert access.may_pass_on(person(roles.EDITOR, passed["district"]), passed["parent"])


def test_only_open_work_of_an_organisation_is_passed_down(passed):
    parent = passed["parent"]
    assignments.report(parent, passed["district_editor"], "Орындалды")
    assert not access.may_pass_on(passed["district_editor"], parent)
    named = person(roles.EDITOR, passed["karaganda"])
    own, _created = assignments.issue(
        passed["record"], passed["author"], text="Өзіңіз", deadline=days(5), people=[named]
    )
    own = own.executions.get()
    assert not access.may_pass_on(named, own)  # a named person reports themselves
    with pytest.raises(ValidationError, match="Төмен тек ұйымның орындауы"):
        assignments.issue(
            passed["record"],
            named,
            text="Әрі қарай",
            deadline=days(3),
            executors=[passed["primaries"][0]],
            parent=own,
        )


# --- bad input -------------------------------------------------------------------------------


def test_the_deadline_cannot_be_later_than_the_parents(passed):
    with pytest.raises(ValidationError, match="кеш бола алмайды|cannot be later"):
        pass_down(passed, deadline=days(11))
    assert pass_down(passed, deadline=days(10))  # the same day is fine


def test_a_granted_extension_moves_the_limit(passed):
    parent = passed["parent"]
    request = assignments.ask_extension(parent, passed["district_editor"], days(20), "Сайлау")
    assignments.answer_extension(request, passed["author"], grant=True)
    parent.refresh_from_db()
    passed["parent"] = parent
    assert pass_down(passed, deadline=days(15))


def test_executors_must_be_inside_the_executor_organisations_subtree(passed):
    for outside in (passed["primaries"][2], passed["district"], passed["elsewhere"]):
        with pytest.raises(ValidationError):
            pass_down(passed, executors=[outside])
    stranger = person(roles.READER, passed["primaries"][2])
    with pytest.raises(ValidationError):
        pass_down(passed, executors=[], people=[stranger])
    assert Assignment.objects.filter(parent__isnull=False).count() == 0


# --- what it does ----------------------------------------------------------------------------


def test_a_sub_assignment_links_to_its_parent_and_the_sub_executors_see_the_record(passed):
    inner = passed["primaries"][0]
    member = person(roles.READER, inner)
    assert not access.can_view(member, passed["record"])
    sub = pass_down(passed)
    assert (sub.parent_id, sub.organisation_id) == (passed["parent"].pk, passed["district"].pk)
    assert sub.record_id == passed["record"].pk
    roles.forget(member)
    assert access.can_view(member, passed["record"])
    execution = sub.executions.get()
    assert access.may_report(member, execution)
    assert access.may_decide(passed["district_editor"], sub)
    assert not access.may_decide(person(roles.EDITOR, passed["akmola"]), sub)
    entry = PageLogEntry.objects.filter(
        page=passed["record"], action="sandyq.assignment_issue"
    ).latest("pk")
    assert entry.data["parent"] == passed["parent"].pk


def test_a_named_person_inside_the_subtree_may_take_a_sub_assignment(passed):
    district_member = person(roles.READER, passed["district"])
    sub = pass_down(passed, executors=[], people=[district_member])
    execution = sub.executions.get()
    assert execution.person_organisation_id == passed["district"].pk


def test_the_parent_is_reported_without_waiting_for_the_sub_assignments(passed, client):
    sub = pass_down(passed)
    client.force_login(passed["district_editor"])
    url = reverse("circulars:execution", args=[passed["parent"].pk])
    page = client.get(url).content.decode()
    assert f'data-sub-assignment="{sub.pk}"' in page
    assert "Ішкі тапсырмалар қабылданғанша есеп беруге болады" in page
    assert reverse("circulars:execution_pass_on", args=[passed["parent"].pk]) in page
    client.post(reverse("circulars:execution_report", args=[passed["parent"].pk]), {"report": "Ok"})
    passed["parent"].refresh_from_db()
    assert passed["parent"].state == ExecutionState.REPORTED
    assert sub.executions.get().state == ExecutionState.ISSUED


def test_the_parents_author_follows_the_sub_assignments_read_only(passed, client):
    sub = pass_down(passed)
    sub_execution = sub.executions.get()
    member = person(roles.READER, passed["primaries"][0])
    assignments.report(sub_execution, member, "Жиналыс өтті")
    client.force_login(passed["author"])
    page = client.get(reverse("circulars:assignment", args=[passed["parent"].assignment_id]))
    html = page.content.decode()
    assert f'data-sub-assignment="{sub.pk}"' in html
    assert f'data-execution="{sub_execution.pk}"' in html
    assert "Есеп берілді" in html.split(f'data-sub-assignment="{sub.pk}"')[1]
    assert reverse("circulars:execution_decide", args=[sub_execution.pk]) not in html
    # The sub-assignment's own page is its issuer's, not the parent's author's (a Contributor).
    sub_page = client.get(reverse("circulars:assignment", args=[sub.pk]))
    assert sub_page.status_code == 404


def test_the_pass_on_page_issues_and_refuses_by_role(passed, client):
    url = reverse("circulars:execution_pass_on", args=[passed["parent"].pk])
    client.force_login(passed["district_editor"])
    form = client.get(url).content.decode()
    assert passed["primaries"][0].title in form
    assert passed["primaries"][2].title not in form  # Karaganda's own, outside the district
    response = client.post(
        url,
        {
            "text": "Төменге",
            "deadline": days(12).isoformat(),
            "executors": [passed["primaries"][0].pk],
            "submission": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "кеш бола алмайды" in response.content.decode()
    response = client.post(
        url,
        {
            "text": "Төменге",
            "deadline": days(5).isoformat(),
            "executors": [passed["primaries"][0].pk],
            "submission": str(uuid.uuid4()),
        },
    )
    sub = Assignment.objects.get(parent=passed["parent"])
    assert response["Location"] == reverse("circulars:assignment", args=[sub.pk])
    for user in (person(roles.READER, passed["district"]), person(roles.EDITOR, passed["akmola"])):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 404
        assert "ZX-TOKEN-7731" not in response.content.decode()
    client.logout()
    assert client.get(url).status_code == 302
