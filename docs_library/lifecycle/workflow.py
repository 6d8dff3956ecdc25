"""Review on Wagtail's workflow engine: "Review by the organisation's reviewers".

Wagtail's own approval task names fixed groups. Sandyq's reviewers are whoever
holds the Reviewer role where the document belongs, which differs from one of
thousands of organisations to the next and changes with every grant, so this
task asks ``home.roles`` at the moment of the question instead of keeping a
list of its own. One workflow with this one task is assigned to the root page
(migration 0004), so it is the default for the whole tree.

Who reviews a page:
- *approving* is open to everyone whose Reviewer role holds on the page
  (granted there, on its library or organisation, or inherited from above, as
  ``home.roles`` defines), and to superusers;
- the *notified* reviewers are the nearest ones: those of the page's own
  organisation; where it has none, those of the organisation above, and so
  on up to the central office. Walking up also crosses a block of
  inheritance, so a primary organisation that blocked the roles from above
  and has no reviewer of its own is still reviewed by its district, who may
  then approve as well.

The life of a document as an editor sees it (``lifecycle_state``): Draft →
Pending review → Published → Archived, plus Withdrawn and Superseded. Every
step is a Wagtail audit-log entry; ``review_history`` reads them back.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from wagtail.models import Page, PageLogEntry, TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted

from home import roles
from home.models import nearest_organisation, organisation_page_models

from ..models import AccessLevel, DocumentPage, OrganisationReviewTask

REVIEW_WORKFLOW_NAME = "Review by the organisation's reviewers"


# --- who reviews ---------------------------------------------------------------


def owning_organisation(page):
    """The organisation a page belongs to: a record's own, or the nearest at or above."""
    specific = page.specific_deferred if type(page) is Page else page
    if isinstance(specific, DocumentPage) and specific.organisation_id:
        return specific.organisation.specific
    return nearest_organisation(page)


def organisations_upwards(organisation) -> list:
    """The organisation and every organisation above it, nearest first (one query)."""
    return list(
        Page.objects.ancestor_of(organisation, inclusive=True)
        .type(*organisation_page_models())
        .order_by("-depth")
    )


def _reviewer_ids(page) -> set[int]:
    return set(roles.principals_with(roles.REVIEW, page).values_list("pk", flat=True))


@dataclass
class Reviewers:
    users: list
    organisation: Page | None  # where they were found; None: nobody, superusers stand in


def reviewers_for(page) -> Reviewers:
    """The nearest reviewers of ``page`` (see the module docstring).

    A level's own reviewers are those whose role holds there but not at the
    organisation above: inherited ones belong to the level they come from.
    """
    organisation = owning_organisation(page)
    levels = organisations_upwards(organisation) if organisation else []
    User = get_user_model()
    for index, level in enumerate(levels):
        here = _reviewer_ids(page if index == 0 else level)
        above = _reviewer_ids(levels[index + 1]) if index + 1 < len(levels) else set()
        own = here - above
        if own:
            return Reviewers(list(User.objects.filter(pk__in=own).order_by("pk")), level)
    return Reviewers(list(User.objects.filter(is_superuser=True, is_active=True)), None)


def _reviews_somewhere(user) -> bool:
    return any(grant.role.allows(roles.REVIEW) for grant in roles.principal(user).grants)


def may_review(user, page) -> bool:
    """May ``user`` approve or reject ``page`` in review?"""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or roles.has_site_permission(user, page, roles.REVIEW):
        return True
    if not _reviews_somewhere(user):
        return False  # reviews nowhere: no fallback can make them a reviewer here
    return any(reviewer.pk == user.pk for reviewer in reviewers_for(page).users)


@roles.register_block_exemption
def assigned_reviewers_open_the_editor(user, page, action) -> bool:
    """Reviewers found above a block (see ``reviewers_for``) open the record in
    review in the editor, where Wagtail shows its Approve and Request changes;
    nothing else below the block."""
    if action != "edit":
        return False
    task_state = page.current_workflow_task_state
    return (
        task_state is not None
        and isinstance(task_state.task.specific, OrganisationReviewTask)
        and may_review(user, page)
    )


@roles.register_block_exemption
def assigned_reviewers_see_the_record_in_review(user, page, action) -> bool:
    """Reviewers the workflow found above a block see the record in the admin while
    it is in review, and as their approval publishes it, as they would without the
    block; not a draft begun after that approval, nor a restricted record's new
    version (only Managers and those granted on it read those)."""
    if action != "view" or roles.has_site_permission(user, page, roles.REVIEW):
        return False
    if page.live and page.access_level == AccessLevel.RESTRICTED:
        return False
    state = page.workflow_states.order_by("-created_at").first()
    if state is None:
        return False
    if state.status == WorkflowState.STATUS_APPROVED:
        last_task = state.task_states.order_by("-started_at", "-pk").first()
        latest = page.latest_revision
        if not (last_task and last_task.finished_at and latest):
            return False
        if latest.created_at > last_task.finished_at:
            return False
    elif state.status != WorkflowState.STATUS_IN_PROGRESS:
        return False
    return may_review(user, page)


def may_change(user, page) -> bool:
    """Archive, restore, follow a circular: Editors, Reviewers and Managers here
    (the roles allowing ``MANAGE_RECORDS``), and superusers."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return roles.has_site_permission(user, page, roles.MANAGE_RECORDS)


# --- the states an editor sees ----------------------------------------------------


@dataclass(frozen=True)
class State:
    code: str
    label: str
    detail: str = ""


DRAFT = "draft"
PENDING = "pending"
PUBLISHED = "published"
ARCHIVED = "archived"
WITHDRAWN = "withdrawn"
SUPERSEDED = "superseded"

STATE_LABELS = {
    DRAFT: _("Draft"),
    PENDING: _("Pending review"),
    PUBLISHED: _("Published"),
    ARCHIVED: _("Archived"),
    WITHDRAWN: _("Withdrawn"),
    SUPERSEDED: _("Superseded"),
}


def lifecycle_state(page) -> State:
    """Where the record stands: Draft, Pending review, Published, Archived,
    Withdrawn or Superseded, with a word on what is pending besides."""
    from ..models import DocumentPage

    workflow_state = page.current_workflow_state if page.pk else None
    in_review = (
        workflow_state is not None and workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    )
    changes_requested = (
        workflow_state is not None and workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    )
    detail = ""
    if changes_requested:
        detail = str(_("changes requested"))
    if not page.live:
        if getattr(page, "withdrawn_at", None):
            return State(WITHDRAWN, str(STATE_LABELS[WITHDRAWN]), page.withdrawal_reason)
        if in_review:
            return State(PENDING, str(STATE_LABELS[PENDING]))
        return State(DRAFT, str(STATE_LABELS[DRAFT]), detail)
    if in_review:
        detail = str(_("a new version is pending review"))
    if isinstance(page, DocumentPage):
        if DocumentPage.objects.live().filter(supersedes=page).exists():
            return State(SUPERSEDED, str(STATE_LABELS[SUPERSEDED]), detail)
        if page.archived_at:
            return State(ARCHIVED, str(STATE_LABELS[ARCHIVED]), detail)
    return State(PUBLISHED, str(STATE_LABELS[PUBLISHED]), detail)


# --- the history ---------------------------------------------------------------------

# The steps of a record's life; plain saves of a draft are left to Wagtail's History view.
HISTORY_ACTIONS = (
    "wagtail.create",
    "wagtail.publish",
    "wagtail.publish.scheduled",
    "wagtail.schedule.publish",
    "wagtail.unpublish",
    "wagtail.unpublish.scheduled",
    "wagtail.revert",
    "wagtail.workflow.start",
    "wagtail.workflow.approve",
    "wagtail.workflow.reject",
    "wagtail.workflow.resume",
    "wagtail.workflow.cancel",
    "sandyq.archive",
    "sandyq.restore",
    "sandyq.withdraw",
)


@dataclass(frozen=True)
class HistoryEntry:
    timestamp: object
    user: object
    action: str
    label: str
    message: str
    comment: str


def review_history(page) -> list[HistoryEntry]:
    """The record's steps from Wagtail's audit log, newest first."""
    entries = (
        PageLogEntry.objects.filter(page_id=page.pk, action__in=HISTORY_ACTIONS)
        .select_related("user")
        .order_by("-timestamp", "-pk")
    )
    history = []
    for entry in entries:
        data = entry.data or {}
        comment = data.get("comment") or data.get("reason") or ""
        history.append(
            HistoryEntry(
                timestamp=entry.timestamp,
                user=entry.user,
                action=entry.action,
                label=str(entry.label),
                message=str(entry.message),
                comment=comment,
            )
        )
    return history


# --- notifications on review steps --------------------------------------------------
#
# Wagtail mails superusers on submission and the submitter on approval and
# rejection, in Wagtail's words. For Sandyq's review the reviewers are the
# organisation's, and every mail speaks the recipient's language in Sandyq's
# words (``notifications``). The receivers below are connected under the
# dispatch_uids Wagtail's admin uses, while models are imported and before
# ``wagtail.admin`` connects its own: Django keeps the first receiver for a
# uid, so ours take those places, and hand other workflows to Wagtail's
# notifiers unchanged.


def is_review_workflow(workflow) -> bool:
    return OrganisationReviewTask.objects.filter(workflow_tasks__workflow=workflow).exists()


def _queue(event: str, workflow_state, task_state=None, user=None):
    from ..circulation.notifications import notify_review_task

    notify_review_task.enqueue(
        event,
        workflow_state.pk,
        task_state.pk if task_state is not None else None,
        user.pk if getattr(user, "pk", None) else None,
    )


def on_task_submitted(sender, instance, user=None, **kwargs):
    """A review step started (first submission, or resubmission after changes)."""
    if isinstance(instance.task.specific, OrganisationReviewTask):
        _queue("submitted", instance.workflow_state, instance, user)


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


def connect_signals():
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


# --- the default workflow ----------------------------------------------------------------


def ensure_default_workflow():
    """The review workflow, assigned to the root page (so to every page). Idempotent.

    Migration 0004 makes the same rows; tests that flush the database, which
    those rows do not survive, call this.
    """
    from wagtail.models import Workflow, WorkflowPage, WorkflowTask

    task = OrganisationReviewTask.objects.filter(name=REVIEW_WORKFLOW_NAME).first()
    if task is None:
        task = OrganisationReviewTask.objects.create(name=REVIEW_WORKFLOW_NAME, active=True)
    workflow, _created = Workflow.objects.get_or_create(
        name=REVIEW_WORKFLOW_NAME, defaults={"active": True}
    )
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    root = Page.get_first_root_node()
    if root is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    return workflow
