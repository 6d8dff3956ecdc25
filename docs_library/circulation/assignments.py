"""Assignments on a record: issuing them to organisations below the author's,
each executor's report, and the author's acceptance or return.

Every step is one transaction that writes the row and the record's history
(Wagtail's audit log) together, or nothing. A step that depends on the state
(reporting, accepting, returning) is a conditional ``UPDATE … WHERE state IN
(…)``: two presses of a button, or two people at once, change the row once,
and the database, not a check read earlier, decides which one did.

Issuing registers the assignment in each executor's incoming journal, and a
report in the executor's outgoing and the author's incoming journal
(``journals``), in the same transaction.

Who may take each step is asked of ``docs_library.access`` by the views.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, Value
from django.db.models.lookups import LessThan
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.log_actions import log
from wagtail.models import Page

from home.models import organisation_page_models

from .. import access
from ..models import (
    OPEN_STATES,
    AccessLevel,
    Assignment,
    DocumentPage,
    Execution,
    ExecutionState,
    ExtensionRequest,
    ExtensionState,
    ReportFile,
    due_on,
)
from . import assignment_mail, journals, report_files


def executor_choices(record, organisation=None):
    """The live organisations an assignment on ``record`` may go to: those below the
    issuing organisation (the record's own; for a sub-assignment, the executor's)."""
    owner = organisation or record.organisation
    if owner is None:
        return Page.objects.none()
    return (
        Page.objects.live()
        .descendant_of(owner, inclusive=False)
        .type(*organisation_page_models())
        .order_by("path")
    )


def _check(record, organisation, deadline, executors, people, responsible, parent):
    """Refuse bad input with the reason to show; the people named, with where each counts."""
    if deadline is None or deadline < timezone.localdate():
        raise ValidationError(_("The deadline cannot be in the past."))
    if parent is not None and deadline > parent.due_on:
        raise ValidationError(
            _(
                "The deadline cannot be later than the deadline of the assignment "
                "it is passed down from (%(date)s)."
            )
            % {"date": parent.due_on.strftime("%d.%m.%Y")}
        )
    if record.access_level == AccessLevel.RESTRICTED:
        raise ValidationError(
            _("A restricted record cannot be assigned: its executors could not read it.")
        )
    if not executors and not people:
        raise ValidationError(_("Choose at least one executor: an organisation or a person."))
    allowed = set(
        executor_choices(record, organisation)
        .filter(pk__in=[page.pk for page in executors])
        .values_list("pk", flat=True)
    )
    if len(allowed) != len(executors):
        if parent is not None:
            raise ValidationError(
                _("An executor must be an organisation below the executor organisation.")
            )
        raise ValidationError(
            _("An executor must be an organisation below the record's organisation.")
        )
    named = {}
    if people:
        named = {
            user.pk: unit
            for user, unit in access.nameable_people(
                organisation, record, [user.pk for user in people]
            ).items()
        }
        refused = [user for user in people if user.pk not in named]
        if refused:
            raise ValidationError(
                _(
                    "%(names)s cannot be named: a person named as an executor must hold "
                    "a role in the issuing organisation or below it and be able to read "
                    "the record."
                )
                % {"names": ", ".join(u.get_full_name() or u.get_username() for u in refused)}
            )
    if isinstance(responsible, Page):
        chosen = responsible.pk in {page.pk for page in executors}
    else:
        chosen = responsible is None or responsible.pk in {person.pk for person in people}
    if not chosen:
        raise ValidationError(_("The responsible executor must be one of the executors."))
    return named


def issue(
    record,
    user,
    *,
    text,
    deadline,
    executors=(),
    people=(),
    responsible=None,
    report_required=True,
    submission=None,
    parent=None,
):
    """Issue an assignment; (assignment, created). Raises ``ValidationError`` on bad input.

    ``executors``: organisations; ``people``: users named as executors, each with an
    execution of their own; ``responsible``: one of either. ``parent``: the
    execution a sub-assignment is passed down from (its organisation issues it,
    to organisations and people inside its own subtree, by its deadline at the latest).
    A repeated submission (the same ``submission`` key) returns the first
    assignment instead of a second one.
    """
    if submission is not None:
        earlier = Assignment.objects.filter(submission=submission, record=record).first()
        if earlier is not None:
            return earlier, False
    text = (text or "").strip()
    executors = list({page.pk: page for page in executors}.values())
    people = list({person.pk: person for person in people}.values())
    if not text:
        raise ValidationError(_("Write what is to be done."))
    if parent is not None and parent.organisation_id is None:
        raise ValidationError(_("Only an organisation's execution is passed further down."))
    organisation = parent.organisation if parent is not None else record.organisation
    if organisation is None:
        raise ValidationError(_("This record belongs to no organisation."))
    named = _check(record, organisation, deadline, executors, people, responsible, parent)
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                record=record,
                organisation_id=organisation.pk,
                parent=parent,
                text=text,
                deadline=deadline,
                report_required=report_required,
                responsible=responsible if isinstance(responsible, Page) else None,
                responsible_person=None if isinstance(responsible, Page) else responsible,
                issued_by=user,
                submission=submission,
            )
            executions = Execution.objects.bulk_create(
                [Execution(assignment=assignment, organisation_id=page.pk) for page in executors]
                + [
                    Execution(
                        assignment=assignment,
                        person_id=person.pk,
                        person_organisation_id=named[person.pk],
                    )
                    for person in people
                ]
            )
            journals.register_assignment(assignment)
            access.refresh_tokens([record])
            log(
                instance=record,
                action="sandyq.assignment_issue",
                user=user,
                data={
                    "assignment": assignment.pk,
                    "deadline": deadline.isoformat(),
                    "executors": [page.pk for page in executors],
                    "people": [person.pk for person in people],
                    **({"parent": parent.pk} if parent is not None else {}),
                },
            )
    except IntegrityError:
        earlier = Assignment.objects.filter(submission=submission, record=record).first()
        if submission is None or earlier is None:
            raise
        return earlier, False
    assignment_mail.tell("issued", executions, user)
    return assignment, True


def _refused(execution) -> ValidationError:
    """Why a step was not taken: the state the row is in now."""
    execution.refresh_from_db(fields=["state"])
    if execution.state == ExecutionState.ACCEPTED:
        return ValidationError(_("This assignment has been accepted: it takes no more reports."))
    if execution.state == ExecutionState.REPORTED:
        return ValidationError(_("A report has been submitted and awaits the author's decision."))
    return ValidationError(_("There is no report to decide on."))


def _executor(execution) -> dict:
    """Who executes, as the record's history says it."""
    if execution.person_id:
        return {"person": execution.person_id, "organisation": execution.person_organisation_id}
    return {"organisation": execution.organisation_id}


def _step(execution, user, action, from_states, changes, data=None, then=None) -> None:
    """One conditional update and its history entry; ``then()`` (inside the same
    transaction, after the update) returns more for the history entry."""
    with transaction.atomic():
        changed = Execution.objects.filter(pk=execution.pk, state__in=from_states).update(**changes)
        if not changed:
            raise _refused(execution)
        more = then() if then is not None else {}
        log(
            instance=execution.assignment.record,
            action=action,
            user=user,
            data={
                "assignment": execution.assignment_id,
                **_executor(execution),
                **(data or {}),
                **more,
            },
        )
    for field, value in changes.items():
        setattr(execution, field, value)


def start(execution, user) -> None:
    """The executor takes the assignment in hand."""
    _step(
        execution,
        user,
        "sandyq.execution_start",
        [ExecutionState.ISSUED],
        {"state": ExecutionState.IN_PROGRESS},
    )


def report(execution, user, text: str, files=()) -> None:
    """The executor's report, with ``files`` (uploads) that become records of their
    own (``report_files``). The report, its files and its journal entries are saved
    together or not at all; a refused file is said before anything is written."""
    text = (text or "").strip()
    if execution.assignment.report_required and not text:
        raise ValidationError(_("Write what was done."))
    checked = report_files.check(files)
    stored = []
    try:
        with transaction.atomic():  # the report, its files and journal entries, or none
            _step(
                execution,
                user,
                "sandyq.execution_report",
                OPEN_STATES,
                {
                    "state": ExecutionState.REPORTED,
                    "report": text[:4000],
                    "reported_at": timezone.now(),
                    "reported_by": user,
                },
                {"report": text[:4000]},
                then=lambda: {"files": report_files.store(execution, user, checked, stored)},
            )
            journals.register_report(execution, user)
    except BaseException:
        report_files.forget(stored)
        raise
    assignment_mail.tell("reported", [execution], user)


def accept(execution, user, comment: str = "") -> None:
    comment = (comment or "").strip()[:2000]
    _step(
        execution,
        user,
        "sandyq.execution_accept",
        [ExecutionState.REPORTED],
        {
            "state": ExecutionState.ACCEPTED,
            "comment": comment,
            "decided_at": timezone.now(),
            "decided_by": user,
        },
        {"comment": comment},
    )
    assignment_mail.tell("accepted", [execution], user)


def return_for_rework(execution, user, comment: str) -> None:
    comment = (comment or "").strip()[:2000]
    if not comment:
        raise ValidationError(_("Say what is to be put right."))
    _step(
        execution,
        user,
        "sandyq.execution_return",
        [ExecutionState.REPORTED],
        {
            "state": ExecutionState.RETURNED,
            "comment": comment,
            "decided_at": timezone.now(),
            "decided_by": user,
        },
        {"comment": comment},
    )
    assignment_mail.tell("returned", [execution], user)


# --- extensions of the deadline ------------------------------------------------------------


def ask_extension(execution, user, new_deadline, reason: str) -> ExtensionRequest:
    """The executor asks for a new deadline, with a reason. Raises ``ValidationError``."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ValidationError(_("Say why a new deadline is needed."))
    if execution.state not in OPEN_STATES:
        raise _refused(execution)
    current = execution.due_on
    if new_deadline is None or new_deadline < timezone.localdate():
        raise ValidationError(_("The deadline cannot be in the past."))
    if new_deadline <= current:
        raise ValidationError(_("The new deadline must be later than the current one."))
    try:
        with transaction.atomic():
            # Locks the execution's row: a report and a request do not cross.
            if not Execution.objects.select_for_update().filter(
                pk=execution.pk, state__in=OPEN_STATES
            ):
                raise _refused(execution)
            request = ExtensionRequest.objects.create(
                execution=execution,
                requested_by=user,
                reason=reason,
                new_deadline=new_deadline,
                old_deadline=current,
            )
            log(
                instance=execution.assignment.record,
                action="sandyq.extension_ask",
                user=user,
                data={
                    "assignment": execution.assignment_id,
                    **_executor(execution),
                    "deadline": new_deadline.isoformat(),
                    "reason": reason,
                },
            )
    except IntegrityError:
        raise ValidationError(
            _("A new deadline has been asked for already and awaits the author's answer.")
        ) from None
    assignment_mail.tell("extension_asked", [execution], user)
    return request


def answer_extension(request, user, grant: bool, comment: str = "") -> None:
    """The author grants the new deadline (it becomes the execution's) or refuses it."""
    comment = (comment or "").strip()[:2000]
    execution = request.execution
    state = ExtensionState.GRANTED if grant else ExtensionState.REFUSED
    with transaction.atomic():
        changed = ExtensionRequest.objects.filter(pk=request.pk, state=ExtensionState.ASKED).update(
            state=state, decided_by=user, decided_at=timezone.now(), answer=comment
        )
        if not changed:
            raise ValidationError(_("This request has been answered already."))
        if grant:
            Execution.objects.filter(pk=execution.pk).update(deadline=request.new_deadline)
            execution.deadline = request.new_deadline
        log(
            instance=execution.assignment.record,
            action="sandyq.extension_grant" if grant else "sandyq.extension_refuse",
            user=user,
            data={
                "assignment": execution.assignment_id,
                **_executor(execution),
                "deadline": request.new_deadline.isoformat(),
                "comment": comment,
            },
        )
    request.state, request.decided_by, request.answer = state, user, comment
    assignment_mail.tell("extension_answered", [execution], user)


def open_extensions(assignment):
    """The assignment's requests awaiting an answer, by executor."""
    return (
        ExtensionRequest.objects.filter(
            execution__assignment=assignment, state=ExtensionState.ASKED
        )
        .select_related("execution", "execution__organisation", "execution__person", "requested_by")
        .order_by("execution__organisation__path", "execution__person_id")
    )


# --- lists ---------------------------------------------------------------------------------


def to_execute(organisation, user):
    """The organisation's executions of assignments on live records ``user`` may read,
    and those naming ``user`` that count under it; by deadline."""
    return (
        Execution.objects.filter(
            Q(organisation=organisation) | Q(person=user.pk, person_organisation=organisation),
            assignment__record__live=True,
        )
        .filter(access.token_filter(user, "assignment__record_id"))
        .select_related("assignment", "assignment__record", "assignment__organisation", "person")
        .annotate(due=due_on())
        .order_by("due", "pk")
    )


def named_in(user):
    """The executions naming ``user`` themselves, on live records they may read; open
    work first, then by deadline."""
    return (
        Execution.objects.filter(person=user.pk, assignment__record__live=True)
        .filter(access.token_filter(user, "assignment__record_id"))
        .select_related("assignment", "assignment__record", "assignment__organisation", "person")
        .annotate(due=due_on())
        .order_by("due", "pk")
    )


def executions_of(assignment):
    return (
        assignment.executions.select_related(
            "organisation", "person", "person_organisation", "reported_by", "decided_by"
        )
        .order_by("organisation__path", "person_organisation__path", "person_id")
        .all()
    )


def files_of(executions, user) -> dict[int, list]:
    """The records made of each execution's report files that ``user`` may read."""
    rows = ReportFile.objects.filter(execution__in=[e.pk for e in executions]).order_by("pk")
    visible = {
        record.pk: record
        for record in access.viewable(
            user,
            DocumentPage.objects.filter(pk__in=rows.values("record_id")).select_related(
                "main_file"
            ),
        )
    }
    files: dict[int, list] = {}
    for execution_id, record_id in rows.values_list("execution_id", "record_id"):
        if record_id in visible:
            files.setdefault(execution_id, []).append(visible[record_id])
    return files


def sub_assignments_of(executions, today=None) -> dict[int, list]:
    """Each execution's sub-assignments, each with its executions and overdue marks."""
    today = today or timezone.localdate()
    subs = (
        Assignment.objects.filter(parent__in=[e.pk for e in executions])
        .prefetch_related(
            Prefetch(
                "executions",
                Execution.objects.select_related("organisation", "person").order_by(
                    "organisation__path", "person_id"
                ),
            )
        )
        .order_by("created_at", "pk")
    )
    found: dict[int, list] = {}
    for sub in subs:
        sub.rows = [{"execution": e, "overdue": e.is_overdue(today)} for e in sub.executions.all()]
        found.setdefault(sub.parent_id, []).append(sub)
    return found


def counts(assignments, today=None) -> dict[int, dict[str, int]]:
    """Executions per state of each assignment, and how many are overdue: one query."""
    today = today or timezone.localdate()
    rows = (
        Execution.objects.filter(assignment__in=assignments)
        .values("assignment_id")
        .annotate(
            total=Count("pk"),
            reported=Count("pk", filter=Q(state=ExecutionState.REPORTED)),
            accepted=Count("pk", filter=Q(state=ExecutionState.ACCEPTED)),
            overdue=Count("pk", filter=Q(LessThan(due_on(), Value(today)), state__in=OPEN_STATES)),
        )
    )
    return {row.pop("assignment_id"): row for row in rows}


def issued_by(user):
    """The assignments ``user`` issued, newest first."""
    return (
        Assignment.objects.filter(issued_by=user)
        .select_related("record")
        .order_by("-created_at", "-pk")
    )


def followed_on(record, user):
    """The record's assignments ``user`` may follow."""
    assignments = record.assignments.select_related("record", "organisation").order_by(
        "-created_at", "-pk"
    )
    return [assignment for assignment in assignments if access.may_decide(user, assignment)]
