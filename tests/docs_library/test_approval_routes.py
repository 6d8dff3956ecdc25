"""Approval routes (лист согласования) on Wagtail's workflow engine: a parallel step
that completes only when all its approvers approve, a sequence of steps, a return
with comment, approvers who may not see the record, the route chosen by document
type and organisation, and the printable approval sheet."""

import datetime
import io

import pytest
from pypdf import PdfReader

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from wagtail.models import TaskState, Workflow, WorkflowState, WorkflowTask

from docs_library import access
from docs_library.circulation import approval_sheet
from docs_library.lifecycle import workflow
from docs_library.models import ApprovalDecision, ApprovalRoute, ParallelApprovalTask
from home import roles
from tests.docs_library.lifecycle import draft, edit_data, library_of, person, words
from tests.factories import RegionFactory

KAZAKH_COMMENT = "Әкімдік ғимараты, қаңтар, өңір, ұйым, үкім, һәм іс: қаржы бөлімін түзетіңіз"


@pytest.fixture
def people(tree):
    """The regional branch's editor, legal adviser and secretary (Contributors, who read
    drafts), its chair (Manager), and a named approver from another region."""
    region = tree["region"]
    elsewhere = RegionFactory(parent=tree["home"], title="Ақмола облысы")
    return {
        "editor": person(roles.EDITOR, region, username="editor"),
        "legal": person(
            roles.CONTRIBUTOR, region, username="legal", first_name="Айгүл", last_name="Сәрсенова"
        ),
        "secretary": person(
            roles.CONTRIBUTOR,
            region,
            username="secretary",
            first_name="Нұрлан",
            last_name="Қасымов",
        ),
        "chair": person(
            roles.MANAGER, region, username="chair", first_name="Ғалым", last_name="Өтегенов"
        ),
        "outsider": person(roles.EDITOR, elsewhere, username="outsider"),
        "reader_elsewhere": person(roles.READER, elsewhere, username="reader.elsewhere"),
    }


def two_step_route(*, extra_approvers=(), name="Облыстық шешімдер"):
    """Legal and secretary in parallel, then the chair (Managers of the record's organisation)."""
    first = ParallelApprovalTask.objects.create(name="Заңгер мен хатшы", due_days=3)
    first.approvers.set(extra_approvers)
    chair = ParallelApprovalTask.objects.create(name="Төраға", role=roles.MANAGER.code, due_days=2)
    route = Workflow.objects.create(name=name)
    WorkflowTask.objects.create(workflow=route, task=first, sort_order=0)
    WorkflowTask.objects.create(workflow=route, task=chair, sort_order=1)
    return route, first, chair


@pytest.fixture
def route(tree, people):
    workflow.ensure_default_workflow()  # the default for everything no route names
    route, first, chair = two_step_route()
    first.approvers.set([people["legal"], people["secretary"]])
    ApprovalRoute.objects.create(
        organisation=tree["region"], document_type="decision", workflow=route
    )
    return route


@pytest.fixture
def record(tree):
    return draft(
        library_of(tree["region"]), title="Облыстық филиалдың шешімі", document_type="decision"
    )


def submit(client, user, record):
    client.force_login(user)
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[record.pk]),
        edit_data(
            record, registration_number=record.registration_number, **{"action-submit": "submit"}
        ),
    )
    record.refresh_from_db()
    return response


def act(client, user, record, action, **data):
    task_state = record.current_workflow_task_state
    client.force_login(user)
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[record.pk, action, task_state.pk]),
        data,
    )
    record.refresh_from_db()
    return response


def current_step(record):
    return record.current_workflow_task.name if record.current_workflow_task else None


def test_the_parallel_step_needs_every_approver_then_the_chair_publishes(
    client, people, route, record
):
    assert submit(client, people["editor"], record).status_code == 302
    assert record.current_workflow_state.workflow == route
    assert current_step(record) == "Заңгер мен хатшы"

    act(client, people["legal"], record, "approve")
    assert current_step(record) == "Заңгер мен хатшы"  # the secretary is still awaited
    assert not record.live
    task = record.current_workflow_task.specific
    assert task.get_actions(record, people["legal"]) == []  # decided already
    assert task.get_actions(record, people["chair"]) == []  # not their step

    act(client, people["secretary"], record, "approve", comment="Келісемін")
    assert current_step(record) == "Төраға"
    assert not record.live

    act(client, people["editor"], record, "approve")  # not an approver: nothing happens
    assert current_step(record) == "Төраға" and not record.live

    act(client, people["chair"], record, "approve")
    assert record.live
    assert record.current_workflow_state is None
    state = WorkflowState.objects.for_instance(record).get()
    assert state.status == WorkflowState.STATUS_APPROVED
    decisions = ApprovalDecision.objects.filter(task_state__workflow_state=state)
    assert {(d.user.username, d.decision) for d in decisions} == {
        ("legal", "approved"),
        ("secretary", "approved"),
        ("chair", "approved"),
    }


def test_a_return_with_comment_by_one_approver_ends_the_route(client, people, route, record):
    submit(client, people["editor"], record)
    act(client, people["legal"], record, "approve")
    act(client, people["secretary"], record, "reject", comment="")
    assert current_step(record) == "Заңгер мен хатшы"  # a return says what to change

    act(client, people["secretary"], record, "reject", comment=KAZAKH_COMMENT)
    assert not record.live
    state = WorkflowState.objects.for_instance(record).get()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    returned = ApprovalDecision.objects.get(decision=ApprovalDecision.RETURNED)
    assert (returned.user, returned.comment) == (people["secretary"], KAZAKH_COMMENT)
    history = workflow.review_history(record)
    assert history[0].action == "wagtail.workflow.reject"
    assert history[0].comment == KAZAKH_COMMENT
    # the chair's step never started
    assert not TaskState.objects.filter(workflow_state=state, task__name="Төраға").exists()


def test_a_named_approver_who_cannot_see_the_record_cannot_approve(client, people, tree, record):
    workflow.ensure_default_workflow()
    route, first, _chair = two_step_route()
    first.approvers.set([people["legal"], people["outsider"]])
    ApprovalRoute.objects.create(
        organisation=tree["region"], document_type="decision", workflow=route
    )
    submit(client, people["editor"], record)
    task = record.current_workflow_task.specific
    assert not access.can_view_in_admin(people["outsider"], record)
    assert not access.may_approve(people["outsider"], task, record)
    assert task.get_actions(record, people["outsider"]) == []

    response = act(client, people["outsider"], record, "approve")
    assert response.status_code in (403, 404)
    assert not ApprovalDecision.objects.exists()
    assert record.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS

    act(client, people["legal"], record, "approve")
    assert current_step(record) == "Заңгер мен хатшы"  # still waits for every approver named


def test_the_due_date_and_each_approvers_decision_show_on_the_records_admin_page(
    client, people, route, record
):
    submit(client, people["editor"], record)
    act(client, people["legal"], record, "approve", comment="Заң талаптарына сай")
    due = timezone.localdate() + datetime.timedelta(days=3)
    client.force_login(people["secretary"])
    response = client.get(reverse("wagtailadmin_pages:edit", args=[record.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    language = response["Content-Language"]
    with translation.override(language):
        due_text = words(language, "Due %(date)s", date=date_format(due, "DATE_FORMAT"))
    for expected in (due_text, "Айгүл Сәрсенова", "Заң талаптарына сай", "Нұрлан Қасымов"):
        assert expected in page, expected
    assert words(language, "Awaited") in page  # the secretary, still to decide


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_approval_sheet_lists_each_approver_decision_and_comment(client, people, route, record):
    record.registration_number = "02-Ш-17"
    record.save()
    record.save_revision()
    submit(client, people["editor"], record)
    act(client, people["legal"], record, "approve", comment="Заң талаптарына сай")
    act(client, people["secretary"], record, "reject", comment=KAZAKH_COMMENT)
    submit(client, people["editor"], record)  # corrected and sent again
    act(client, people["legal"], record, "approve")
    act(client, people["secretary"], record, "approve")
    act(client, people["chair"], record, "approve")
    assert record.live

    client.force_login(people["editor"])
    response = client.get(reverse("sandyq_approval_sheet", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Облыстық филиалдың шешімі",
        "02-Ш-17",
        "Айгүл Сәрсенова",
        "Нұрлан Қасымов",
        "Ғалым Өтегенов",
        "Заң талаптарына сай",
        KAZAKH_COMMENT,
    ):
        assert expected in text, expected
    for letter in "әғқңөұүһі":
        assert letter in text
    language = response["Content-Language"]
    for decision in ("Approved", "Returned with comment"):
        assert words(language, decision) in text
    # kept with the record: read again later from the saved states, the same sheet
    with translation.override("en"):
        assert approval_sheet.render(record) == approval_sheet.render(record)


def test_only_those_who_may_see_the_record_get_its_sheet(client, people, route, record):
    submit(client, people["editor"], record)
    url = reverse("sandyq_approval_sheet", args=[record.pk])
    client.force_login(people["legal"])
    assert client.get(url).status_code == 200
    for who in ("reader_elsewhere", "outsider"):
        client.force_login(people[who])
        response = client.get(url)
        assert response.status_code in (403, 404), who
        assert response.get("Content-Type") != "application/pdf"
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_the_sheet_button_is_on_the_records_admin_page(client, people, route, record):
    url = reverse("sandyq_approval_sheet", args=[record.pk])
    client.force_login(people["editor"])
    edit = reverse("wagtailadmin_pages:edit", args=[record.pk])
    assert url not in client.get(edit).content.decode()  # never sent: no sheet yet
    submit(client, people["editor"], record)
    assert url in client.get(edit).content.decode()


def test_the_route_is_chosen_by_organisation_and_type_with_a_default(tree, people, route):
    region, district = tree["region"], tree["district"]
    default = workflow.ensure_default_workflow()

    def chosen(organisation, document_type):
        return draft(library_of(organisation), document_type=document_type).get_workflow()

    assert chosen(region, "decision") == route
    assert chosen(district, "decision") == route  # the region's subtree
    assert chosen(region, "circular") == default  # no route for the type: the default review
    assert chosen(RegionFactory(parent=tree["home"]), "decision") == default

    tree_wide, *_ = two_step_route(name="Барлық циркулярлар")
    ApprovalRoute.objects.create(organisation=None, document_type="circular", workflow=tree_wide)
    assert chosen(district, "circular") == tree_wide
    any_type, *_ = two_step_route(name="Аудандық құжаттар")
    ApprovalRoute.objects.create(organisation=district, document_type="", workflow=any_type)
    assert chosen(district, "circular") == any_type  # the nearest organisation first
    assert chosen(tree["primary"], "minutes") == any_type
    assert chosen(region, "circular") == tree_wide

    any_type.deactivate()
    assert chosen(district, "circular") == tree_wide  # an inactive route is passed over


def test_the_chair_step_is_taken_by_the_organisations_own_managers_only(
    tree, people, route, record
):
    central_manager = person(roles.MANAGER, tree["home"], username="central.manager")
    chair_task = ParallelApprovalTask.objects.get(name="Төраға")
    approvers = workflow.approvers_for(chair_task, record)
    assert approvers == [people["chair"]]
    assert central_manager not in approvers


def test_the_parallel_step_is_a_task_type_of_the_admin(client, admin_user, people):
    """Those who configure workflows (here a superuser) find it under Workflows › Tasks."""
    client.force_login(admin_user)
    listing = client.get(reverse("wagtailadmin_workflows:select_task_type")).content.decode()
    add = reverse("wagtailadmin_workflows:add_task", args=["docs_library", "parallelapprovaltask"])
    assert add in listing
    response = client.post(
        add,
        {
            "name": "Заңгер мен хатшы",
            "approvers": [people["legal"].pk, people["secretary"].pk],
            "role": "",
            "due_days": "5",
        },
    )
    assert response.status_code == 302
    task = ParallelApprovalTask.objects.get(name="Заңгер мен хатшы")
    assert set(task.approvers.all()) == {people["legal"], people["secretary"]}
    assert task.due_days == 5


def test_a_second_route_for_the_same_place_and_type_is_refused_with_a_clear_error(
    client, admin_user, tree, route
):
    client.force_login(admin_user)
    add = reverse("wagtailsnippets_docs_library_approvalroute:add")
    for organisation in (tree["region"].pk, ""):
        if organisation == "":
            ApprovalRoute.objects.create(
                organisation=None, document_type="decision", workflow=route
            )
        data = {"organisation": organisation, "document_type": "decision", "workflow": route.pk}
        response = client.post(add, data)
        assert response.status_code == 200  # the form again, with the error
        language = response["Content-Language"]
        message = (
            "This organisation already has a route for this document type."
            if organisation
            else "There is already a route for this document type everywhere."
        )
        assert words(language, message) in response.content.decode()
    assert ApprovalRoute.objects.count() == 2


def test_a_step_past_its_due_date_is_marked_overdue(client, people, route, record):
    submit(client, people["editor"], record)
    edit = reverse("wagtailadmin_pages:edit", args=[record.pk])
    client.force_login(people["legal"])
    response = client.get(edit)
    overdue = words(response["Content-Language"], "overdue")
    assert f"<strong>{overdue}</strong>" not in response.content.decode()

    started = timezone.now() - datetime.timedelta(days=4)  # due in 3 days: one day late
    TaskState.objects.filter(pk=record.current_workflow_task_state.pk).update(started_at=started)
    response = client.get(edit)
    assert f"<strong>{overdue}</strong>" in response.content.decode()


def test_without_the_font_the_sheet_says_so_in_the_readers_language(
    client, people, route, record, monkeypatch, tmp_path
):
    monkeypatch.setattr(approval_sheet, "FONT_CANDIDATES", (tmp_path / "DejaVuSans.ttf",))
    submit(client, people["editor"], record)
    client.force_login(people["legal"])
    response = client.get(reverse("sandyq_approval_sheet", args=[record.pk]))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    message = words(
        response["Content-Language"],
        "The approval sheet cannot be printed: the DejaVu Sans font is not installed on the "
        "server (Debian package fonts-dejavu-core). Ask the administrator to install it.",
    )
    assert message in response.content.decode()


# --- mail to the approvers ------------------------------------------------------------------


def speaks(user, language):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


def approval_mail(language, title):
    with translation.override(language):
        return translation.gettext("For your approval: %(title)s") % {"title": title}


def test_each_step_mails_its_approvers_in_their_language(client, people, route, record, mailoutbox):
    speaks(people["legal"], "ru")
    speaks(people["secretary"], "en")  # the chair chose nothing: Kazakh, the site's language
    submit(client, people["editor"], record)
    sent = {message.to[0]: message for message in mailoutbox}
    assert set(sent) == {people["legal"].email, people["secretary"].email}
    legal = sent[people["legal"].email]
    assert legal.subject == approval_mail("ru", record.title)
    assert legal.subject != approval_mail("en", record.title)
    assert legal.extra_headers["Content-Language"] == "ru"
    assert "Заңгер мен хатшы" in legal.body  # the step's name
    assert f"/admin/pages/{record.pk}/edit/" in legal.body
    assert sent[people["secretary"].email].subject == approval_mail("en", record.title)

    mailoutbox.clear()
    act(client, people["legal"], record, "approve")
    act(client, people["secretary"], record, "approve")  # the step is done: the chair's next
    subjects = {approval_mail(language, record.title) for language in ("kk", "ru", "en")}
    asked = [message for message in mailoutbox if message.subject in subjects]
    assert [message.to for message in asked] == [[people["chair"].email]]
    assert asked[0].subject == approval_mail("kk", record.title)
    assert "Төраға" in asked[0].body


def test_an_approver_who_may_not_see_the_record_gets_no_mail(
    client, people, tree, record, mailoutbox
):
    workflow.ensure_default_workflow()
    route, first, _chair = two_step_route()
    first.approvers.set([people["legal"], people["outsider"]])
    ApprovalRoute.objects.create(
        organisation=tree["region"], document_type="decision", workflow=route
    )
    submit(client, people["editor"], record)
    assert [m.to for m in mailoutbox if m.subject == approval_mail("kk", record.title)] == [
        [people["legal"].email]
    ]


# --- two approvers at the same instant ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_approvers_approving_at_once_complete_the_step_once(client, people, route, record):
    import threading

    from django.db import connection

    from wagtail.models import PageLogEntry

    submit(client, people["editor"], record)
    task_state = record.current_workflow_task_state
    step = task_state.task.specific
    barrier = threading.Barrier(2)
    errors = []

    def approve(user):
        try:
            state = TaskState.objects.get(pk=task_state.pk)  # each its own, as two requests
            barrier.wait(timeout=20)
            step.on_action(state, user, "approve", comment=f"{user.username}: келісемін")
        except Exception as error:  # collected for the assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(people[who],)) for who in ("legal", "secretary")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors

    decisions = ApprovalDecision.objects.filter(task_state_id=task_state.pk)
    assert {(d.user.username, d.decision) for d in decisions} == {
        ("legal", "approved"),
        ("secretary", "approved"),
    }
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_APPROVED
    workflow_state = task_state.workflow_state
    chair_steps = TaskState.objects.filter(workflow_state=workflow_state, task__name="Төраға")
    assert chair_steps.count() == 1  # the next step started once
    assert chair_steps.get().status == TaskState.STATUS_IN_PROGRESS
    approvals = PageLogEntry.objects.filter(
        page=record,
        action="wagtail.workflow.approve",
        data__workflow__task_state_id=task_state.pk,
    )
    assert approvals.count() == 1  # the step completed exactly once
    record.refresh_from_db()
    assert current_step(record) == "Төраға" and not record.live
