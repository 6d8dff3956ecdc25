"""Mail about assignments: issued, report submitted, returned, accepted, due in
three days, overdue; each person's daily digest of them; and the daily run of
reminders (``manage.py send_assignment_reminders``).

Who is told:
- issued, returned, accepted, due soon, overdue: the staff of the executor
  organisation (their own roles there allowing ``ACKNOWLEDGE``, as for a
  circular; read through ``home.roles`` by ``notifications.staff_of``), or the
  person named as the executor, and for a decision also whoever sent the report;
- report submitted: the assignment's issuer and those granted a role allowing
  ``MANAGE_RECORDS`` on the issuing organisation itself (who may decide).
Whoever took the step is not told of it. Every mail names the record, so it
goes only to people the access policy lets see it
(``access.users_who_may_view``), in each one's language
(``notifications.send_to``).

A person who chose the daily digest (``MailPreference.daily_digest``) gets a
``DigestEntry`` instead of each mail, and one mail a day gathers them. A
reminder is written down (``AssignmentReminder``, one of each kind per
execution by a unique constraint) before it is sent, so the daily run never
sends the same reminder twice, even when two runs overlap.
"""

import datetime
import logging
import uuid

from django_tasks import task

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from home import roles

from .. import access
from ..models import (
    OPEN_STATES,
    Assignment,
    AssignmentReminder,
    DigestEntry,
    Execution,
    ExtensionRequest,
    MailPreference,
    ReminderKind,
    due_on,
)
from .circulars import organisation_names
from .notifications import absolute, page_link, person_name, recipient_language, send_to, staff_of

logger = logging.getLogger("sandyq.notifications")

#: Days before the deadline when the "due soon" reminder goes.
DUE_SOON_DAYS = 3

KINDS = {
    "issued": _("Assignment issued"),
    "reported": _("Report submitted"),
    "returned": _("Report returned for rework"),
    "accepted": _("Report accepted"),
    "extension_asked": _("New deadline asked"),
    "extension_answered": _("New deadline answered"),
    ReminderKind.DUE_SOON: _("Due soon"),
    ReminderKind.OVERDUE: _("Overdue"),
}

#: Mail a person may turn off (``MailPreference.non_essential``); the rest always comes.
NON_ESSENTIAL = {"reported", "accepted"}


def _deciders(assignment) -> set[int]:
    """The issuer and those granted, on the issuing organisation itself, a role
    that lets them accept or return reports."""
    user_ids, group_ids = {assignment.issued_by_id} - {None}, set()
    for grant in roles.grants_on_pages([assignment.organisation_id]):
        if grant.role.allows(roles.MANAGE_RECORDS):
            if grant.user_id:
                user_ids.add(grant.user_id)
            else:
                group_ids.add(grant.group_id)
    User = get_user_model()
    if group_ids:
        user_ids.update(
            User.groups.through.objects.filter(group_id__in=group_ids).values_list(
                "user_id", flat=True
            )
        )
    return user_ids


def _executions(ids) -> list:
    """The executions, each with its assignment (read once per assignment, with its
    record, organisation and issuer): page objects for thousands of rows are slow."""
    rows = list(
        Execution.objects.filter(pk__in=ids)
        .only(
            "pk",
            "assignment_id",
            "organisation_id",
            "person_id",
            "report",
            "comment",
            "reported_by_id",
            "deadline",
        )
        .order_by("assignment_id", "organisation__path")
    )
    assignments = Assignment.objects.select_related("record", "organisation", "issued_by").in_bulk(
        {row.assignment_id for row in rows}
    )
    people = get_user_model().objects.in_bulk({row.person_id for row in rows} - {None})
    for row in rows:
        row.assignment = assignments[row.assignment_id]
        if row.person_id:
            row.person = people[row.person_id]
    return rows


def _describe(execution, names, for_decider: bool) -> dict:
    """An execution as a mail lists it: its organisation's name in the reader's
    language (``names`` from ``circulars.organisation_names``) and the page to act on."""
    page = "circulars:assignment" if for_decider else "circulars:execution"
    target = execution.assignment_id if for_decider else execution.pk
    name = names.get(execution.organisation_id)
    label = name.display_name if name else ""
    if execution.person_id:
        label = execution.executor_name
    return {
        "execution": execution,
        "organisation": label,
        "url": absolute(reverse(page, args=[target])),
    }


def deliver(kind, executions, user_ids, *, staff=None, actor_id=None, for_decider=False) -> int:
    """Tell ``user_ids`` of ``kind`` about ``executions`` (all of one assignment),
    or keep it for the digest of those who chose one. Returns the mails sent."""
    executions = list(executions)
    if not executions:
        return 0
    assignment = executions[0].assignment
    record = assignment.record
    User = get_user_model()
    users = list(
        User.objects.filter(pk__in=set(user_ids) - {actor_id}, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    users = access.users_who_may_view(record, users)
    preferences = {
        p.user_id: p for p in MailPreference.objects.filter(user__in=[u.pk for u in users])
    }
    essential = kind not in NON_ESSENTIAL
    digest, single = [], []
    for user in users:
        preference = preferences.get(user.pk)
        if preference is not None and preference.daily_digest:
            if essential or preference.non_essential:
                digest.append(user)
        else:
            single.append(user)
    if staff is None:
        staff = _staff(executions)

    def theirs(user):
        """The executions that concern ``user``: their organisations' and their own
        (all, for deciders)."""
        mine = [
            execution
            for execution in executions
            if for_decider
            or execution.person_id == user.pk
            or (execution.organisation_id and execution.organisation_id in staff.get(user.pk, ()))
        ]
        if not mine and len(executions) == 1:
            mine = executions  # who reported it, with an inherited role
        return mine

    DigestEntry.objects.bulk_create(
        [
            DigestEntry(user=user, kind=kind, execution=execution)
            for user in digest
            for execution in theirs(user)
        ]
    )
    names = organisation_names({execution.organisation_id for execution in executions} - {None})

    def context_for(user):
        return {
            "assignment": assignment,
            "record": record,
            "record_url": page_link(record),
            "author": person_name(assignment.issued_by),
            "deadline": executions[0].due_on,
            "items": [_describe(execution, names, for_decider) for execution in theirs(user)],
        }

    sent = send_to(single, f"assignment_{kind}", context_for, page=record, essential=essential)
    logger.info(
        "assignment %s %s: %s mails, %s kept for digests", assignment.pk, kind, sent, len(digest)
    )
    return sent


@task()
def notify_assignment_task(kind: str, execution_ids: list[int], actor_id=None) -> int:
    """One step of an assignment told to those it concerns (see the module)."""
    sent = 0
    by_assignment: dict[int, list] = {}
    for execution in _executions(execution_ids):
        by_assignment.setdefault(execution.assignment_id, []).append(execution)
    for executions in by_assignment.values():
        if kind in ("extension_asked", "extension_answered"):
            _attach_extensions(executions)
        if kind in ("reported", "extension_asked"):
            for execution in executions:
                sent += deliver(
                    kind,
                    [execution],
                    _deciders(execution.assignment),
                    actor_id=actor_id,
                    for_decider=True,
                )
            continue
        staff = _staff(executions)
        people = set(staff) | {e.person_id for e in executions if e.person_id}
        if kind in ("returned", "accepted"):
            people.update(e.reported_by_id for e in executions if e.reported_by_id)
        if kind == "extension_answered":
            people.update(e.extension.requested_by_id for e in executions if e.extension)
        sent += deliver(kind, executions, people, staff=staff, actor_id=actor_id)
    return sent


def _staff(executions) -> dict[int, set[int]]:
    """The staff of the executor organisations (``staff_of``); named people are their own."""
    return staff_of({e.organisation_id for e in executions if e.organisation_id})


def _attach_extensions(executions) -> None:
    """Each execution's latest extension request, as ``execution.extension``."""
    latest = {}
    for request in ExtensionRequest.objects.filter(execution__in=executions).order_by("pk"):
        latest[request.execution_id] = request
    for execution in executions:
        execution.extension = latest.get(execution.pk)


def tell(kind: str, executions, actor=None) -> None:
    """Queue the mail of an assignment's step (after the step's own transaction:
    the database queue shows the task to the worker once the caller's commits)."""
    ids = [execution.pk for execution in executions]
    notify_assignment_task.enqueue(kind, ids, getattr(actor, "pk", None))


# --- reminders ------------------------------------------------------------------------------


def due_for_reminder(kind: str, today: datetime.date):
    """Open executions of live records the ``kind`` of reminder is due for, not yet sent."""
    executions = Execution.objects.filter(
        state__in=OPEN_STATES, assignment__record__live=True
    ).exclude(reminders__kind=kind)
    executions = executions.annotate(due=due_on())
    if kind == ReminderKind.DUE_SOON:
        return executions.filter(
            due__gte=today, due__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
        )
    return executions.filter(due__lt=today)


def claim(kind: str, execution_ids) -> list[int]:
    """Write the reminders down; the executions whose reminder this run wrote.

    A row another run wrote first stays that run's (the unique constraint
    ignores the second), so each reminder is sent by one run only.
    """
    run = uuid.uuid4()
    AssignmentReminder.objects.bulk_create(
        [AssignmentReminder(execution_id=pk, kind=kind, run=run) for pk in execution_ids],
        ignore_conflicts=True,
        batch_size=500,
    )
    return list(
        AssignmentReminder.objects.filter(run=run, kind=kind).values_list("execution_id", flat=True)
    )


@task()
def send_assignment_reminders_task() -> dict:
    """Remind executors of deadlines in three days and of overdue assignments, then
    send the daily digests. Safe to run again: nothing is sent twice."""
    today = timezone.localdate()
    result = {}
    for kind in (ReminderKind.DUE_SOON, ReminderKind.OVERDUE):
        ids = list(due_for_reminder(kind, today).values_list("pk", flat=True))
        claimed = claim(kind, ids)
        result[str(kind)] = len(claimed)
        result[f"{kind}_mails"] = notify_assignment_task.call(str(kind), claimed) if claimed else 0
    result["digests"] = send_digests()
    return result


# --- the daily digest -----------------------------------------------------------------------


def send_digests() -> int:
    """One mail per person gathering the entries kept for them, in their language;
    entries about records they may no longer see are dropped. Each entry is
    marked sent before its mail goes, so a second run sends none of them again."""
    from wagtail.users.models import UserProfile

    User = get_user_model()
    user_ids = list(
        DigestEntry.objects.filter(sent_at__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    messages = []
    for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email=""):
        with transaction.atomic():
            ids = list(
                DigestEntry.objects.select_for_update()
                .filter(user=user, sent_at__isnull=True)
                .values_list("pk", flat=True)
            )
            claimed = DigestEntry.objects.filter(pk__in=ids, sent_at__isnull=True).update(
                sent_at=timezone.now()
            )
        if not claimed:
            continue
        entries = (
            DigestEntry.objects.filter(pk__in=ids)
            .select_related(
                "execution",
                "execution__person",
                "execution__assignment",
                "execution__assignment__record",
            )
            .order_by("created_at", "pk")
        )
        entries = [e for e in entries if access.can_view(user, e.execution.assignment.record)]
        if not entries:
            continue
        names = organisation_names({entry.execution.organisation_id for entry in entries} - {None})
        profile = UserProfile.objects.filter(user=user).first()
        language = recipient_language(profile)
        with translation.override(language):
            context = {
                "user": user,
                "entries": [
                    {
                        "label": KINDS.get(entry.kind, entry.kind),
                        "record": entry.execution.assignment.record,
                        "assignment": entry.execution.assignment,
                        **_describe(
                            entry.execution, names, entry.kind in ("reported", "extension_asked")
                        ),
                    }
                    for entry in entries
                ],
            }
            subject = render_to_string("docs_library/email/assignment_digest_subject.txt", context)
            body = render_to_string("docs_library/email/assignment_digest.txt", context)
        messages.append(
            EmailMessage(
                " ".join(subject.split()),
                body.strip() + "\n",
                to=[user.email],
                headers={"Content-Language": language},
            )
        )
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
