"""E-mail about reviews and circulars, in each recipient's language.

The language is the one the person chose in Wagtail's account settings
(``UserProfile.preferred_language``), or Kazakh, the site's language, when
they chose none; never the language of whoever set the mail off. A language
the public site does not speak (the admin offers more) falls back to English.

Mail that is not essential may be turned off by each person
(``MailPreference``, on the site's mail settings page and in the admin's
account settings): submissions for review, approvals, requests for changes,
and circulars that ask for no acknowledgement. Wagtail's own switches for
"submitted", "approved" and "rejected" mail are honoured too. A circular to
acknowledge and a reminder that it is overdue always come: they are the
paper letter this system replaces.

Every mail names a page (a record's title, summary, link), so it goes only to
people the access policy lets see that page (``access.users_who_may_view``):
``send_to`` asks it of every recipient list, and Wagtail's own mail (comments,
other workflows) is put through the same question below. A restricted circular
addressed to thousands of organisations reaches only those who may open it.

Everything here runs in django-tasks tasks; a circular to thousands of
organisations sends one mail per person over one connection.
"""

import logging
import sys
from urllib.parse import urljoin

from django_tasks import task

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from wagtail.models import TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted

from home import roles

from .. import access
from ..lifecycle.workflow import approvers_for, reviewers_for
from ..models import (
    ApprovalDecision,
    Distribution,
    MailPreference,
    OrganisationReviewTask,
    ParallelApprovalTask,
)

logger = logging.getLogger("sandyq.notifications")


def site_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def recipient_language(profile) -> str:
    preferred = (getattr(profile, "preferred_language", "") or "").lower()
    if not preferred:
        return settings.LANGUAGE_CODE
    base = preferred.split("-")[0].split("_")[0]
    return base if base in site_languages() else "en"


def absolute(url: str) -> str:
    return urljoin(settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/", url)


def send_to(
    users,
    kind: str,
    context_for,
    *,
    page,
    essential: bool,
    profile_flag: str = "",
    in_admin: bool = False,
) -> int:
    """Render ``kind``'s subject and text in each user's language and send them.

    ``page`` is what the mail names: only those of ``users`` who may see it
    get the mail (``access.users_who_may_view``; ``in_admin``: as the admin
    shows it, for mail that links there). ``context_for(user)`` runs with that
    user's language active, so the URLs it builds carry the right language
    prefix. Returns how many were sent.
    """
    from wagtail.users.models import UserProfile

    users = [user for user in users if user.is_active and user.email]
    users = access.users_who_may_view(page, users, in_admin=in_admin)
    if not users:
        return 0
    profiles = {p.user_id: p for p in UserProfile.objects.filter(user__in=users)}
    opted_out = set(
        MailPreference.objects.filter(user__in=users, non_essential=False).values_list(
            "user_id", flat=True
        )
    )
    messages = []
    for user in users:
        profile = profiles.get(user.pk)
        if not essential:
            if user.pk in opted_out:
                continue
            if profile_flag and profile is not None and not getattr(profile, profile_flag, True):
                continue
        language = recipient_language(profile)
        with translation.override(language):
            context = {"user": user, "language": language, **context_for(user)}
            subject = render_to_string(f"docs_library/email/{kind}_subject.txt", context)
            body = render_to_string(f"docs_library/email/{kind}.txt", context)
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


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def page_link(page) -> str:
    return absolute(page.get_url() or "")


# --- reviews ---------------------------------------------------------------------------------


@task()
def notify_review_task(event: str, workflow_state_id: int, task_state_id, actor_id) -> int:
    """Submitted → the nearest reviewers; approved or changes requested → the author;
    a step of an approval route reached → its approvers who have not decided yet."""
    workflow_state = WorkflowState.objects.filter(pk=workflow_state_id).first()
    if workflow_state is None:
        return 0
    page = workflow_state.content_object.specific
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    task_state = TaskState.objects.filter(pk=task_state_id).first() if task_state_id else None
    edit_url = absolute(reverse("wagtailadmin_pages:edit", args=[page.pk]))

    def context_for(user):
        return {
            "page": page,
            "actor": person_name(actor),
            "requested_by": person_name(workflow_state.requested_by),
            "edit_url": edit_url,
            "page_url": page_link(page) if page.live else "",
            "comment": task_state.comment if task_state else "",
        }

    if event == "approval_step":
        return _notify_approvers(task_state, page, actor, context_for)
    if event == "submitted":
        recipients = [user for user in reviewers_for(page).users if user != actor]
        return send_to(
            recipients,
            "review_submitted",
            context_for,
            page=page,
            in_admin=True,
            essential=False,
            profile_flag="submitted_notifications",
        )
    authors = {workflow_state.requested_by, page.owner} - {None, actor}
    kind = "review_approved" if event == "approved" else "review_rejected"
    flag = "approved_notifications" if event == "approved" else "rejected_notifications"
    return send_to(
        sorted(authors, key=lambda user: user.pk),
        kind,
        context_for,
        page=page,
        in_admin=True,
        essential=False,
        profile_flag=flag,
    )


def _notify_approvers(task_state, page, actor, context_for) -> int:
    """The approvers of the step ``task_state`` runs (``workflow.approvers_for``), in
    their language, who may open the record in the admin; not whoever set it off, nor
    an approver who has decided on this step already."""
    if task_state is None or task_state.status != TaskState.STATUS_IN_PROGRESS:
        return 0
    step = task_state.task.specific
    if not isinstance(step, ParallelApprovalTask):
        return 0
    decided = set(
        ApprovalDecision.objects.filter(task_state_id=task_state.pk).values_list(
            "user_id", flat=True
        )
    )
    recipients = [
        user for user in approvers_for(step, page) if user != actor and user.pk not in decided
    ]

    def step_context(user):
        return {**context_for(user), "step": step.name, "due": step.due_date(task_state)}

    return send_to(
        recipients,
        "approval_step",
        step_context,
        page=page,
        in_admin=True,
        essential=False,
        profile_flag="submitted_notifications",
    )


# --- notifications on review steps --------------------------------------------------
#
# Wagtail mails superusers on submission and the submitter on approval and
# rejection, in Wagtail's words. For Sandyq's review the reviewers are the
# organisation's, and every mail speaks the recipient's language in Sandyq's
# words (above). The receivers below are connected under the
# dispatch_uids Wagtail's admin uses, from this app's ``ready()``, before
# ``wagtail.admin`` (later in INSTALLED_APPS) connects its own: Django keeps
# the first receiver for a uid, so ours take those places, and hand other
# workflows to Wagtail's notifiers unchanged.


def is_review_workflow(workflow) -> bool:
    return OrganisationReviewTask.objects.filter(workflow_tasks__workflow=workflow).exists()


def _queue(event: str, workflow_state, task_state=None, user=None):
    notify_review_task.enqueue(
        event,
        workflow_state.pk,
        task_state.pk if task_state is not None else None,
        user.pk if getattr(user, "pk", None) else None,
    )


def on_task_submitted(sender, instance, user=None, **kwargs):
    """A review step started (first submission, or resubmission after changes), or a
    step of an approval route (the first on submission, each next one when the step
    before it is approved)."""
    step = instance.task.specific
    if isinstance(step, OrganisationReviewTask):
        _queue("submitted", instance.workflow_state, instance, user)
    elif isinstance(step, ParallelApprovalTask):
        _queue("approval_step", instance.workflow_state, instance, user)


def on_workflow_submitted(sender, instance, user=None, **kwargs):
    if is_review_workflow(instance.workflow):
        return  # the task's own start tells its reviewers
    from wagtail.admin.signal_handlers import workflow_submission_email_notifier

    workflow_submission_email_notifier(sender=sender, instance=instance, user=user, **kwargs)


def on_workflow_approved(sender, instance, user=None, **kwargs):
    if is_review_workflow(instance.workflow):
        _queue("approved", instance, None, user)
        return
    from wagtail.admin.signal_handlers import workflow_approval_email_notifier

    workflow_approval_email_notifier(sender=sender, instance=instance, user=user, **kwargs)


def on_workflow_rejected(sender, instance, user=None, **kwargs):
    if is_review_workflow(instance.workflow):
        _queue("rejected", instance, instance.current_task_state, user)
        return
    from wagtail.admin.signal_handlers import workflow_rejection_email_notifier

    workflow_rejection_email_notifier(sender=sender, instance=instance, user=user, **kwargs)


def connect_review_mail():
    task_submitted.connect(
        on_task_submitted, sender=TaskState, dispatch_uid="sandyq_review_submitted"
    )
    workflow_submitted.connect(
        on_workflow_submitted,
        sender=WorkflowState,
        dispatch_uid="workflow_state_submitted_email_notification",
    )
    workflow_approved.connect(
        on_workflow_approved,
        sender=WorkflowState,
        dispatch_uid="workflow_state_approved_email_notification",
    )
    workflow_rejected.connect(
        on_workflow_rejected,
        sender=WorkflowState,
        dispatch_uid="workflow_state_rejected_email_notification",
    )


# --- circulars ---------------------------------------------------------------------------------


# How many organisation ids one query names at most.
STAFF_CHUNK = 5000


def staff_of(organisation_ids) -> dict[int, set[int]]:
    """Active users with a role of their own (or their group's) on each organisation,
    allowing them to acknowledge there: {user id: {organisation ids}}.

    Inherited roles are left out: a regional secretary is not told of every
    circular to each primary organisation below. Reads ``home.roles``'
    grant rows for many pages at once, as its Sharing view does.
    """
    organisation_ids = list(organisation_ids)
    by_user: dict[int, set[int]] = {}
    by_group: dict[int, set[int]] = {}
    for start in range(0, len(organisation_ids), STAFF_CHUNK):
        chunk = organisation_ids[start : start + STAFF_CHUNK]
        for grant in roles.grants_on_pages(chunk):
            if not grant.role.allows(roles.ACKNOWLEDGE):
                continue
            if grant.user_id:
                by_user.setdefault(grant.user_id, set()).add(grant.page_id)
            elif grant.group_id:
                by_group.setdefault(grant.group_id, set()).add(grant.page_id)
    User = get_user_model()
    if by_group:
        memberships = User.groups.through.objects.filter(group_id__in=by_group).values_list(
            "user_id", "group_id"
        )
        for user_id, group_id in memberships:
            by_user.setdefault(user_id, set()).update(by_group[group_id])
    active = set(User.objects.filter(pk__in=by_user, is_active=True).values_list("pk", flat=True))
    return {user_id: pages for user_id, pages in by_user.items() if user_id in active}


def _staff_mail(record, distributions, kind: str, *, essential: bool) -> int:
    """One mail per person for ``distributions`` of ``record``, naming their organisations."""
    from wagtail.models import Page

    rows = list(distributions.values_list("pk", "organisation_id"))
    if not rows:
        return 0
    staff = staff_of({organisation_id for _pk, organisation_id in rows})
    organisation_ids = set().union(*staff.values()) if staff else set()
    organisations = Page.objects.filter(pk__in=organisation_ids).specific().in_bulk()
    users = get_user_model().objects.filter(pk__in=staff).order_by("pk")

    def context_for(user):
        theirs = [organisations[pk] for pk in sorted(staff[user.pk]) if pk in organisations]
        return {
            "record": record,
            "record_url": page_link(record),
            "organisation": record.organisation.specific if record.organisation else None,
            "organisations": [
                {
                    "name": organisation.display_name,
                    "inbox_url": absolute(reverse("circulars:inbox", args=[organisation.pk])),
                }
                for organisation in theirs
            ],
            "deadline": record.response_deadline,
        }

    sent = send_to(users, kind, context_for, page=record, essential=essential)
    logger.info("%s for record %s: %s mails", kind, record.pk, sent)
    return sent


def notify_circular_received(record) -> int:
    """Tell the staff of organisations that received the circular and were not told yet."""
    fresh = Distribution.objects.filter(record=record, notified_at__isnull=True)
    ids = list(fresh.values_list("pk", flat=True))
    if not ids:
        return 0
    sent = _staff_mail(
        record,
        Distribution.objects.filter(pk__in=ids),
        "circular_received",
        essential=record.acknowledgement_required,
    )
    Distribution.objects.filter(pk__in=ids).update(notified_at=timezone.now())
    return sent


def notify_overdue(record) -> int:
    """Remind the staff of every organisation that has not acknowledged yet."""
    overdue = Distribution.objects.filter(record=record, acknowledged_at__isnull=True)
    ids = list(overdue.values_list("pk", flat=True))
    sent = _staff_mail(
        record, Distribution.objects.filter(pk__in=ids), "overdue_reminder", essential=True
    )
    Distribution.objects.filter(pk__in=ids).update(reminded_at=timezone.now())
    return sent


# --- Wagtail's own mail ---------------------------------------------------------------------
#
# Wagtail mails by itself about comments on a page (to those subscribed to the
# page or its threads) and about workflows other than Sandyq's review (the
# moderators of a group approval task, superusers, the submitter). Those mails
# name the page as well, so their recipients pass the same question. Every one
# of them goes through one of two places in ``wagtail.admin.mail``, which offers
# no hook for it; both are wrapped once, from the app's ``ready()``.


def _page_of(instance):
    """The page a workflow or task state is about, if it is about a page."""
    from wagtail.models import Page, TaskState, WorkflowState

    if isinstance(instance, TaskState):
        instance = instance.workflow_state
    if isinstance(instance, WorkflowState):
        instance = instance.content_object
    return instance if isinstance(instance, Page) else None


def guard_wagtail_mail() -> None:
    from wagtail.admin import mail as wagtail_mail

    if getattr(wagtail_mail, "sandyq_guarded", False):
        return
    valid_recipients = wagtail_mail.EmailNotificationMixin.get_valid_recipients
    send_notification = wagtail_mail.send_notification

    def get_valid_recipients(self, instance, **kwargs):
        recipients = valid_recipients(self, instance, **kwargs)
        page = _page_of(instance)
        if page is None or not recipients:
            return recipients
        return set(access.users_who_may_view(page, recipients, in_admin=True))

    def guarded_send_notification(recipient_users, notification, extra_context):
        page = extra_context.get("page")
        if page is not None:
            recipient_users = access.users_who_may_view(page, recipient_users, in_admin=True)
        return send_notification(recipient_users, notification, extra_context)

    wagtail_mail.EmailNotificationMixin.get_valid_recipients = get_valid_recipients
    wagtail_mail.send_notification = guarded_send_notification
    editor = sys.modules.get("wagtail.admin.views.pages.edit")
    if editor is not None:  # imported already: it holds the function under its own name
        editor.send_notification = guarded_send_notification
    wagtail_mail.sandyq_guarded = True
