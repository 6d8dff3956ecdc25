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

from wagtail.models import Page

from home import roles
from home.models import nearest_organisation, organisation_page_models

from ..models import DocumentPage, OrganisationReviewTask
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
