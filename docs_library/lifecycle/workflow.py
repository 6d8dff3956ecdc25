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

The states of a record and the steps between them are declared in
``states`` (imported here for this module's callers); the review mail is in
``docs_library.circulation.notifications``.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from wagtail.models import Page

from home import roles
from home.models import nearest_organisation, organisation_page_models

from ..models import ApprovalDecision, ApprovalRoute, DocumentPage, OrganisationReviewTask
from .states import (  # noqa: F401 - the states, read here by the workflow's callers
    ARCHIVED,
    DRAFT,
    PENDING,
    PUBLISHED,
    STATE_LABELS,
    SUPERSEDED,
    WITHDRAWN,
    State,
    lifecycle_state,
    review_history,
)

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


def reviews_somewhere(user) -> bool:
    return any(grant.role.allows(roles.REVIEW) for grant in roles.principal(user).grants)


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


# --- approval routes (``models.approval``) -------------------------------------------------


def approvers_for(task, record) -> list:
    """The approvers of a parallel step on ``record``: the people the step names and
    the holders of its role granted on the record's own organisation (directly or
    through a group; not inherited from above: the organisation's own chair, not
    the central office's). Active users only. Nobody at all: superusers stand in,
    as for review (``reviewers_for``)."""
    User = get_user_model()
    ids = set(task.approvers.filter(is_active=True).values_list("pk", flat=True))
    organisation = owning_organisation(record)
    if task.role and organisation is not None:
        grants = [g for g in roles.grants_on(organisation) if g.role.code == task.role]
        user_ids = {g.user_id for g in grants if g.user_id}
        group_ids = {g.group_id for g in grants if g.group_id}
        ids |= set(
            User.objects.filter(Q(pk__in=user_ids) | Q(groups__in=group_ids), is_active=True)
            .distinct()
            .values_list("pk", flat=True)
        )
    if not ids:
        return list(User.objects.filter(is_superuser=True, is_active=True).order_by("pk"))
    return list(User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username"))


def approvers_done(task, record, task_state) -> bool:
    """Has every approver of the step approved (in this run of it)?"""
    approved = set(
        ApprovalDecision.objects.filter(
            task_state_id=task_state.pk, decision=ApprovalDecision.APPROVED
        ).values_list("user_id", flat=True)
    )
    return all(user.pk in approved for user in approvers_for(task, record))


def route_for(record):
    """The active workflow an ``ApprovalRoute`` chooses for ``record``, or ``None``
    (then Wagtail's ``WorkflowPage`` assignment stands): the nearest organisation
    first, a route for the record's own type before one for every type."""
    organisation = owning_organisation(record)
    depths = {}
    if organisation is not None:
        depths = dict(
            Page.objects.ancestor_of(organisation, inclusive=True).values_list("pk", "depth")
        )
    routes = ApprovalRoute.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id__in=depths),
        document_type__in=[record.document_type, ""],
        workflow__active=True,
    ).select_related("workflow")
    best = max(
        routes,
        key=lambda route: (depths.get(route.organisation_id, 0), bool(route.document_type)),
        default=None,
    )
    return best.workflow if best else None
