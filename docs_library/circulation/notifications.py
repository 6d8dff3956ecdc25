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

from .. import access
from ..models import MailPreference

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
    """Submitted → the nearest reviewers; approved or changes requested → the author."""
    from wagtail.models import TaskState, WorkflowState

    from ..lifecycle.workflow import reviewers_for

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


# --- circulars ---------------------------------------------------------------------------------


def _staff_mail(record, distributions, kind: str, *, essential: bool) -> int:
    """One mail per person for ``distributions`` of ``record``, naming their organisations."""
    from wagtail.models import Page

    from .circulars import staff_of

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
    from .circulars import Distribution

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
    from .circulars import Distribution

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
