"""Review on Wagtail's workflow engine: who submits, who approves or asks for changes,
reviewers found in the document's own organisation or above, states and history."""

import pytest

from django.urls import reverse
from django.utils import translation

from wagtail.models import WorkflowState

from docs_library import access
from docs_library.lifecycle import workflow
from docs_library.models import DocumentPage
from home import roles
from tests.docs_library.lifecycle import draft, edit_data, library_of, person, publish, words
from tests.factories import DocumentPageFactory, RegionFactory


@pytest.fixture
def people(tree):
    """Karaganda's people: an editor and a reviewer of the district, a reviewer of the
    region, a reader of the primary organisation, and the district's contributor."""
    return {
        "editor": person(roles.EDITOR, tree["district"], username="editor"),
        "contributor": person(roles.CONTRIBUTOR, tree["district"], username="contributor"),
        "reviewer": person(roles.REVIEWER, tree["district"], username="reviewer"),
        "regional_reviewer": person(roles.REVIEWER, tree["region"], username="regional"),
        "reader": person(roles.READER, tree["primary"], username="reader"),
    }


@pytest.fixture
def record(tree):
    workflow.ensure_default_workflow()  # a flushed database has lost the migration's rows
    return draft(library_of(tree["district"]), title="Аудандық шешім")


def submit(client, user, record):
    client.force_login(user)
    return client.post(
        reverse("wagtailadmin_pages:edit", args=[record.pk]),
        edit_data(record, **{"action-submit": "submit"}),
    )


def act(client, user, record, action, **data):
    task_state = record.current_workflow_task_state
    client.force_login(user)
    return client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[record.pk, action, task_state.pk]),
        data,
    )


def test_the_review_workflow_is_the_default_for_the_whole_tree(tree, record):
    for page in (tree["home"], tree["primary"], record):
        assert page.get_workflow().name == workflow.REVIEW_WORKFLOW_NAME


def test_an_editor_submits_and_the_organisations_reviewer_approves_and_publishes(
    client, people, record
):
    assert submit(client, people["editor"], record).status_code == 302
    record.refresh_from_db()
    assert record.workflow_in_progress
    assert workflow.lifecycle_state(record).code == workflow.PENDING

    assert act(client, people["reviewer"], record, "approve").status_code == 302
    record.refresh_from_db()
    assert record.live
    assert workflow.lifecycle_state(record).code == workflow.PUBLISHED


def test_a_contributor_submits_what_they_wrote(client, people, tree):
    mine = DocumentPageFactory(parent=library_of(tree["district"]), live=False)
    mine.owner = people["contributor"]
    mine.save()
    mine.save_revision(user=people["contributor"])
    assert submit(client, people["contributor"], mine).status_code == 302
    mine.refresh_from_db()
    assert mine.workflow_in_progress


def test_a_reader_cannot_submit(client, people, record):
    response = submit(client, people["reader"], record)
    record.refresh_from_db()
    assert response.status_code != 200
    assert not record.workflow_in_progress


def test_only_reviewers_may_approve_or_ask_for_changes(client, people, record, tree):
    elsewhere = person(roles.REVIEWER, RegionFactory(parent=tree["home"]), username="akmola")
    submit(client, people["editor"], record)
    record.refresh_from_db()
    task = record.current_workflow_task
    assert task.get_actions(record, people["editor"]) == []
    assert task.get_actions(record, people["reader"]) == []
    assert task.get_actions(record, elsewhere) == []
    assert [name for name, *_ in task.get_actions(record, people["reviewer"])] == [
        "reject",
        "approve",
        "approve",
    ]
    # the region's reviewer reviews everything in the region
    assert task.get_actions(record, people["regional_reviewer"])

    act(client, people["editor"], record, "approve")  # refused: Wagtail sends them back
    record.refresh_from_db()
    assert not record.live and record.workflow_in_progress


def test_asking_for_changes_needs_a_comment_returns_to_draft_and_keeps_the_comment(
    client, people, record
):
    submit(client, people["editor"], record)
    record.refresh_from_db()
    act(client, people["reviewer"], record, "reject", comment="")
    record.refresh_from_db()
    assert record.workflow_in_progress  # nothing happens without saying what to change

    act(client, people["reviewer"], record, "reject", comment="Күнін түзетіңіз")
    record.refresh_from_db()
    assert not record.live
    assert record.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    with translation.override("en"):
        state = workflow.lifecycle_state(record)
    assert (state.code, state.detail) == (workflow.DRAFT, "changes requested")
    history = workflow.review_history(record)
    assert history[0].action == "wagtail.workflow.reject"
    assert history[0].comment == "Күнін түзетіңіз"
    assert history[0].user == people["reviewer"]


def test_the_history_panel_shows_who_did_what_with_which_comment(client, people, record):
    submit(client, people["editor"], record)
    record.refresh_from_db()
    act(client, people["reviewer"], record, "reject", comment="Нөмірін қосыңыз")
    submit(client, people["editor"], record)
    record.refresh_from_db()
    act(client, people["reviewer"], record, "approve", comment="Дұрыс")

    client.force_login(people["editor"])  # the admin speaks their language: Kazakh
    response = client.get(reverse("wagtailadmin_pages:edit", args=[record.pk]))
    html = response.content.decode()
    assert words("kk", "Review history") in html
    assert "Нөмірін қосыңыз" in html and "Дұрыс" in html
    actions = [entry.action for entry in workflow.review_history(record)]
    assert actions[:2] == ["wagtail.publish", "wagtail.workflow.approve"]
    assert actions.count("wagtail.workflow.start") == 1
    assert "wagtail.workflow.resume" in actions


def test_the_nearest_reviewers_are_told_and_the_parent_stands_in_when_there_are_none(tree):
    library = library_of(tree["primary"])
    record = draft(library)
    regional = person(roles.REVIEWER, tree["region"])
    assert workflow.reviewers_for(record).users == [regional]
    assert workflow.reviewers_for(record).organisation.pk == tree["region"].pk

    district_reviewer = person(roles.REVIEWER, tree["district"])
    found = workflow.reviewers_for(record)
    assert (found.users, found.organisation.pk) == ([district_reviewer], tree["district"].pk)

    own = person(roles.REVIEWER, tree["primary"])
    assert workflow.reviewers_for(record).users == [own]
    # those above are not told, but their role still lets them approve
    assert access.may_review(regional, record)


def test_across_a_block_the_parent_organisations_reviewer_still_reviews(tree):
    record = draft(library_of(tree["primary"]))
    district_reviewer = person(roles.REVIEWER, tree["district"])
    roles.set_inheritance_blocked(tree["primary"], True)
    assert roles.roles_on(district_reviewer, record) == set()
    assert workflow.reviewers_for(record).users == [district_reviewer]
    assert access.may_review(district_reviewer, record)
    assert not access.may_review(person(roles.EDITOR, tree["district"]), record)


def test_a_reviewer_found_across_a_block_approves_in_the_editor(client, tree):
    workflow.ensure_default_workflow()
    record = draft(library_of(tree["primary"]), title="Бастауыш ұйымның шешімі")
    district_reviewer = person(roles.REVIEWER, tree["district"])
    local_editor = person(roles.EDITOR, tree["primary"])
    roles.set_inheritance_blocked(tree["primary"], True)
    edit_url = reverse("wagtailadmin_pages:edit", args=[record.pk])

    client.force_login(district_reviewer)
    assert refused(client.get(edit_url))  # nothing to review yet: the block holds
    assert submit(client, local_editor, record).status_code == 302
    record.refresh_from_db()
    client.force_login(district_reviewer)
    response = client.get(edit_url)
    assert response.status_code == 200
    assert "Мақұлдау" in response.content.decode()  # Approve, in the admin's Kazakh
    response = client.post(
        edit_url,
        edit_data(record, **{"action-workflow-action": "true", "workflow-action-name": "approve"}),
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.live
    # once published, the block holds again
    assert refused(client.get(edit_url))
    assert refused(client.get(reverse("wagtailadmin_pages:delete", args=[record.pk])))


def refused(response) -> bool:
    """Wagtail answers a refused admin action by sending the user to the dashboard;
    a record the user may not see answers 404."""
    if response.status_code == 404:  # a record the user may not see is not there at all
        return True
    return response.status_code == 302 and response.url == reverse("wagtailadmin_home")


def test_states_an_editor_sees(tree, people):
    from docs_library.lifecycle import archive

    library = library_of(tree["district"])
    record = draft(library)
    assert workflow.lifecycle_state(record).code == workflow.DRAFT
    publish(record)
    assert workflow.lifecycle_state(record).code == workflow.PUBLISHED
    archive.archive(record, people["editor"])
    assert workflow.lifecycle_state(record).code == workflow.ARCHIVED
    archive.restore(record, people["editor"])
    newer = draft(library, title="Жаңа редакция", supersedes=record)
    publish(newer)
    assert workflow.lifecycle_state(DocumentPage.objects.get(pk=record.pk)).code == "superseded"
    archive.withdraw(newer, people["reviewer"], "Қате жарияланды")
    newer.refresh_from_db()
    state = workflow.lifecycle_state(newer)
    assert (state.code, state.detail) == (workflow.WITHDRAWN, "Қате жарияланды")
    with translation.override("en"):
        assert str(newer.status_string) == "withdrawn"
