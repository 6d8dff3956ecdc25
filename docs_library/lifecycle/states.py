"""The life of a record, declared once: its states, the steps between them, and
what allows each step (Plone's workflow definition, as data).

Draft → Pending review → Published → Archived, plus Withdrawn and Superseded.
``lifecycle_state`` says where a record stands; ``TRANSITIONS`` says which
steps leave each state and what a user must hold to take one: a site
permission of ``home.roles`` (taken where the record is, as roles are
inherited), or one of Wagtail's page permissions (its own tester decides).
``docs_library.access.may_take`` applies the declaration to archiving,
restoring and withdrawing (the admin's buttons and views ask it); approving
and requesting changes are decided by ``access.may_review``, which adds the
nearest reviewers above a block to the Reviewer role declared here;
submitting and superseding are Wagtail's own page permissions. Every step is
a Wagtail audit-log entry; ``review_history`` reads them back.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from wagtail.models import PageLogEntry, WorkflowState

from home import roles


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
    if hasattr(page, "superseded_by"):  # a record (``DocumentPage``)
        if page.superseded_by.live().exists():
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


# --- the steps between them ------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    code: str
    sources: frozenset[str]
    target: str
    #: A ``home.roles`` site permission where the record is, or ``wagtail:<action>``
    #: for one of Wagtail's page permissions (``can_<action>`` on its tester).
    allowed_by: str


LIVE_STATES = frozenset({PUBLISHED, ARCHIVED, SUPERSEDED})

TRANSITIONS = {
    transition.code: transition
    for transition in (
        Transition("submit", frozenset({DRAFT}), PENDING, "wagtail:submit_for_moderation"),
        Transition("approve", frozenset({PENDING}), PUBLISHED, roles.REVIEW),
        Transition("reject", frozenset({PENDING}), DRAFT, roles.REVIEW),
        Transition(
            "archive",
            frozenset({PUBLISHED, SUPERSEDED}),
            ARCHIVED,
            roles.MANAGE_RECORDS,
        ),
        Transition("restore", frozenset({ARCHIVED}), PUBLISHED, roles.MANAGE_RECORDS),
        Transition("withdraw", LIVE_STATES, WITHDRAWN, "wagtail:unpublish"),
        Transition(
            "supersede",
            frozenset({PUBLISHED}),
            SUPERSEDED,
            "wagtail:publish",
        ),
    )
}
