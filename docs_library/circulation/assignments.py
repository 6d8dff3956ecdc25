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
from django.db.models import Count, Q, Value
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
    Execution,
    ExecutionState,
    ExtensionRequest,
    ExtensionState,
    due_on,
)
from . import assignment_mail, journals


def executor_choices(record):
    """The live organisations an assignment on ``record`` may go to: those below its own."""
    owner = record.organisation
    if owner is None:
        return Page.objects.none()
    return (
        Page.objects.live()
        .descendant_of(owner, inclusive=False)
        .type(*organisation_page_models())
        .order_by("path")
    )


def issue(
    record,
    user,
    *,
    text,
    deadline,
    executors,
    responsible=None,
    report_required=True,
    submission=None,
):
    """Issue an assignment; (assignment, created). Raises ``ValidationError`` on bad input.

    A repeated submission (the same ``submission`` key) returns the first
    assignment instead of a second one.
    """
    if submission is not None:
        earlier = Assignment.objects.filter(submission=submission, record=record).first()
        if earlier is not None:
            return earlier, False
    text = (text or "").strip()
    executors = list({page.pk: page for page in executors}.values())
    if not text:
        raise ValidationError(_("Write what is to be done."))
    if deadline is None or deadline < timezone.localdate():
        raise ValidationError(_("The deadline cannot be in the past."))
    if record.access_level == AccessLevel.RESTRICTED:
        raise ValidationError(
            _("A restricted record cannot be assigned: its executors could not read it.")
        )
    if not executors:
        raise ValidationError(_("Choose at least one executor organisation."))
    allowed = set(
        executor_choices(record)
        .filter(pk__in=[page.pk for page in executors])
        .values_list("pk", flat=True)
    )
    if len(allowed) != len(executors):
        raise ValidationError(
            _("An executor must be an organisation below the record's organisation.")
        )
    if responsible is not None and responsible.pk not in {page.pk for page in executors}:
        raise ValidationError(_("The responsible executor must be one of the executors."))
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                record=record,
                organisation_id=record.organisation_id,
                text=text,
                deadline=deadline,
                report_required=report_required,
                responsible=responsible,
                issued_by=user,
                submission=submission,
            )
            executions = Execution.objects.bulk_create(
                [Execution(assignment=assignment, organisation_id=page.pk) for page in executors]
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


def _step(execution, user, action, from_states, changes, data=None) -> None:
    with transaction.atomic():
        changed = Execution.objects.filter(pk=execution.pk, state__in=from_states).update(**changes)
        if not changed:
            raise _refused(execution)
        log(
            instance=execution.assignment.record,
            action=action,
            user=user,
            data={
                "assignment": execution.assignment_id,
                "organisation": execution.organisation_id,
                **(data or {}),
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


def report(execution, user, text: str) -> None:
    text = (text or "").strip()
    if execution.assignment.report_required and not text:
        raise ValidationError(_("Write what was done."))
    with transaction.atomic():  # the report and its journal entries, or neither
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
        )
        journals.register_report(execution, user)
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
                    "organisation": execution.organisation_id,
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
                "organisation": execution.organisation_id,
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
        .select_related("execution", "execution__organisation", "requested_by")
        .order_by("execution__organisation__path")
    )


# --- lists ---------------------------------------------------------------------------------


def to_execute(organisation, user):
    """The organisation's executions of assignments on live records ``user`` may read,
    still to do first, then by deadline."""
    return (
        Execution.objects.filter(organisation=organisation, assignment__record__live=True)
        .filter(access.token_filter(user, "assignment__record_id"))
        .select_related("assignment", "assignment__record", "assignment__organisation")
        .annotate(due=due_on())
        .order_by("due", "pk")
    )


def executions_of(assignment):
    return (
        assignment.executions.select_related("organisation", "reported_by", "decided_by")
        .order_by("organisation__path")
        .all()
    )


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
