"""Circulars addressed down the tree, their delivery and read-acknowledgement.

A circular or decision may be addressed to organisations below its own: all
of them, one level (regions, districts or primary organisations), or a chosen
list. When it is published, a background task gives every addressed
organisation one ``Distribution`` (its copy in that organisation's inbox) and
feeds those organisations into the record's access tokens, so their people
may open it. A person with a role there acknowledges it once
(``Acknowledgement``, unique per person and circular in the database); the
organisation counts as acknowledged at its first acknowledgement, kept on the
distribution so that a dashboard over ten thousand organisations is a couple
of grouped queries.

Distributions of a circular are written by one ``INSERT … SELECT … ON
CONFLICT DO NOTHING`` statement built from the ORM's own queryset of the
addressed organisations: one query however many there are, and publishing
again adds only what is missing.
"""

import logging
from dataclasses import dataclass

from django_tasks import task

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import Substr
from django.utils import timezone

from wagtail.models import Page
from wagtail.signals import page_published

from home import roles
from home.models import (
    DistrictBranchPage,
    OrganisationLevel,
    PrimaryOrganisationPage,
    RegionalBranchPage,
    localised_name,
    organisation_page_models,
)

from .. import access
from ..models import (
    Acknowledgement,
    Addressing,
    CircularAddressee,
    Distribution,
    DocumentPage,
    DocumentType,
    Status,
    distribution_status,
    is_overdue_date,
)
from . import journals
from .notifications import notify_circular_received, notify_overdue

logger = logging.getLogger("sandyq.circulars")

ADDRESSABLE_TYPES = (DocumentType.CIRCULAR, DocumentType.DECISION)
LEVEL_MODELS = {
    OrganisationLevel.REGION: RegionalBranchPage,
    OrganisationLevel.DISTRICT: DistrictBranchPage,
    OrganisationLevel.PRIMARY: PrimaryOrganisationPage,
}
# How many page ids one query names at most (SQLite's limit is far above it).
ID_CHUNK = 5000


# --- addressing ---------------------------------------------------------------------------


def is_addressed(record) -> bool:
    return record.document_type in ADDRESSABLE_TYPES and record.addressing != Addressing.NONE


def addressed_organisations(record):
    """The live organisations the record is addressed to, as a queryset of pages.

    Only organisations below the record's own count, whatever the list says.
    """
    owner = record.organisation
    if not is_addressed(record) or owner is None:
        return Page.objects.none()
    below = Page.objects.live().descendant_of(owner, inclusive=False)
    if record.addressing == Addressing.ALL:
        return below.type(*organisation_page_models())
    if record.addressing == Addressing.LEVEL:
        model = LEVEL_MODELS.get(record.addressed_level)
        return below.type(model) if model else Page.objects.none()
    if record.addressing == Addressing.CHOSEN:
        chosen = CircularAddressee.objects.filter(record=record).values("organisation_id")
        return below.type(*organisation_page_models()).filter(pk__in=chosen)
    return Page.objects.none()


def create_distributions(record) -> int:
    """Give each addressed organisation its distribution: one statement, idempotent.

    ``bulk_create`` would send the rows from Python in batches (333 per
    query on SQLite), so its queries would grow with the organisations; this
    lets the database copy them from the addressed organisations' query.
    """
    organisations = addressed_organisations(record).annotate(addressed_id=F("pk"))
    select_sql, select_params = organisations.values("addressed_id").query.sql_with_params()
    quote = connection.ops.quote_name
    columns = {field.name: quote(field.column) for field in Distribution._meta.concrete_fields}
    key = f"{columns['record']}, {columns['organisation']}"
    sql = (
        f"INSERT INTO {quote(Distribution._meta.db_table)} "  # noqa: S608 - names from the model
        f"({key}, {columns['created_at']}) "
        f"SELECT %s, addressed.addressed_id, %s FROM ({select_sql}) addressed WHERE 1 = 1 "
        f"ON CONFLICT ({key}) DO NOTHING"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [record.pk, now, *select_params])
        return max(cursor.rowcount, 0)


def drop_unaddressed(record) -> int:
    """Organisations taken off the address list lose the circular, unless they
    have acknowledged it: an acknowledgement is history and stays."""
    deleted, _per_model = (
        Distribution.objects.filter(record=record, acknowledged_at__isnull=True)
        .exclude(organisation__in=addressed_organisations(record).values("pk"))
        .delete()
    )
    return deleted


def distribute(record) -> tuple[int, int]:
    """Bring the record's distributions in line with its addressing; (added, removed).

    A live circular is registered in its organisation's outgoing journal and in
    the incoming journal of each organisation that received it. Then its access
    tokens, so the addressed organisations' people may open it.
    """
    with transaction.atomic():
        added = create_distributions(record) if record.live else 0
        removed = drop_unaddressed(record)
        if record.live and is_addressed(record):
            journals.register_circular(record)
    if added or removed:
        access.refresh_tokens([record])
    return added, removed


@access.register_token_source
def distributed_organisations(record_ids):
    """Addressed organisations' role holders may read an organisation-level circular."""
    return Distribution.objects.filter(record_id__in=record_ids).values_list(
        "record_id", "organisation_id", "organisation__path", "organisation__depth"
    )


# --- acknowledging -----------------------------------------------------------------------


def acknowledge(distribution, user, comment: str = "") -> tuple["Acknowledgement", bool]:
    """Record that ``user`` read the circular, for ``distribution``'s organisation.

    Pressing twice, or two requests at once, leave one acknowledgement: the
    database's unique constraint decides, and the loser gets the winner's row.
    The organisation's first acknowledgement is kept on the distribution by
    a conditional update, so whichever commits first, the earliest wins.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                ack = Acknowledgement.objects.create(
                    record_id=distribution.record_id,
                    distribution=distribution,
                    user=user,
                    comment=comment.strip()[:2000],
                )
        except IntegrityError:
            existing = Acknowledgement.objects.get(record_id=distribution.record_id, user=user)
            return existing, False
        Distribution.objects.filter(pk=distribution.pk).filter(
            Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gt=ack.created_at)
        ).update(acknowledged_at=ack.created_at, acknowledged_by=user)
    return ack, True


def acknowledgement_of(user, record):
    if not user.is_authenticated:
        return None
    return (
        Acknowledgement.objects.filter(record=record, user=user)
        .select_related("distribution__organisation")
        .first()
    )


def distributions_for_person(user, record):
    """The record's distributions to organisations where ``user`` holds a role of their own.

    Offered on the record's page; inherited roles reach many organisations
    below, whose inboxes their holders may still open one by one.
    """
    if not user.is_authenticated:
        return Distribution.objects.none()
    grant_pages = {
        grant.page_id
        for grant in roles.principal(user).grants
        if grant.role.allows(roles.ACKNOWLEDGE)
    }
    return (
        Distribution.objects.filter(record=record, organisation_id__in=grant_pages)
        .select_related("organisation")
        .order_by("organisation__path")
    )


# --- inboxes and dashboards --------------------------------------------------------------


def inbox(organisation, user):
    """The circulars an organisation received, newest first, as ``user`` may see them:
    live ones they may open, and withdrawn ones (shown as such)."""
    readable = Q(record__live=True) & access.token_filter(user, "record_id")
    withdrawn = Q(record__live=False, record__withdrawn_at__isnull=False)
    return (
        Distribution.objects.filter(organisation=organisation)
        .filter(readable | withdrawn)
        .select_related("record", "record__organisation", "acknowledged_by")
        .prefetch_related(
            Prefetch(
                "acknowledgements",
                queryset=Acknowledgement.objects.select_related("user").order_by("created_at"),
            )
        )
        .order_by("-created_at", "-pk")
    )


def inbox_organisations(user):
    """Organisations whose inbox ``user`` looks after: where they hold a role of their own."""
    grant_pages = {
        grant.page_id
        for grant in roles.principal(user).grants
        if grant.role.allows(roles.SEE_INBOX)
    }
    return (
        Page.objects.filter(pk__in=grant_pages)
        .type(*organisation_page_models())
        .order_by("path")
        .specific()
    )


def pending_counts(organisation_ids) -> dict[int, int]:
    rows = (
        Distribution.objects.filter(
            organisation_id__in=organisation_ids,
            acknowledged_at__isnull=True,
            record__live=True,
        )
        .values("organisation_id")
        .annotate(count=Count("pk"))
    )
    return {row["organisation_id"]: row["count"] for row in rows}


def totals(record, distributions=None, today=None) -> dict[str, int]:
    """Addressed, acknowledged, pending and overdue organisations: one query."""
    distributions = distributions if distributions is not None else record.distributions.all()
    counts = distributions.aggregate(
        total=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False))
    )
    waiting = counts["total"] - counts["acknowledged"]
    overdue = waiting if is_overdue_date(record, today) else 0
    return {
        "total": counts["total"],
        "acknowledged": counts["acknowledged"],
        "pending": waiting - overdue,
        "overdue": overdue,
    }


def breakdown(record, node, today=None) -> list[dict]:
    """Totals per organisation directly below ``node`` (its whole subtree each):
    regions under the central office, districts under a region. One grouped query."""
    prefix = (node.depth + 1) * node.steplen
    rows = (
        Distribution.objects.filter(
            record=record,
            organisation__path__startswith=node.path,
            organisation__depth__gt=node.depth,
        )
        .annotate(branch=Substr("organisation__path", 1, prefix))
        .values("branch")
        .annotate(
            total=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False))
        )
        .order_by("branch")
    )
    rows = list(rows)
    pages = {
        page.path: page
        for page in Page.objects.filter(path__in=[row["branch"] for row in rows]).specific()
    }
    overdue_date = is_overdue_date(record, today)
    result = []
    for row in rows:
        page = pages.get(row["branch"])
        if page is None:
            continue
        waiting = row["total"] - row["acknowledged"]
        result.append(
            {
                "page": page,
                "total": row["total"],
                "acknowledged": row["acknowledged"],
                "pending": 0 if overdue_date else waiting,
                "overdue": waiting if overdue_date else 0,
                "has_children": isinstance(page, RegionalBranchPage | DistrictBranchPage),
            }
        )
    return result


def distributions_under(record, node, status: str = ""):
    """The record's distributions in ``node``'s subtree, in tree order, optionally by status."""
    rows = Distribution.objects.filter(record=record, organisation__path__startswith=node.path)
    if status == Status.ACKNOWLEDGED:
        rows = rows.filter(acknowledged_at__isnull=False)
    elif status in (Status.PENDING, Status.OVERDUE):
        wanted_overdue = status == Status.OVERDUE
        rows = rows.filter(acknowledged_at__isnull=True)
        if is_overdue_date(record) != wanted_overdue:
            rows = rows.none()
    return (
        rows.select_related("acknowledged_by")
        .annotate(organisation_path=F("organisation__path"))
        .order_by("organisation__path")
    )


@dataclass(frozen=True)
class OrganisationName:
    """What a list of thousands of organisations needs of each, read from rows:
    making a page object costs a third of a millisecond, ten thousand of them seconds."""

    pk: int
    title: str
    name_ru: str
    name_en: str
    org_code: str
    is_district: bool

    @property
    def display_name(self) -> str:
        """As ``OrganisationPage.display_name``: the reader's language, else Kazakh."""
        return localised_name(self.title, self.name_ru, self.name_en)


def organisation_names(ids) -> dict[int, OrganisationName]:
    """Names of the organisations with these page ids (a list, or a subquery of them):
    one query per organisation type, and one for the titles."""
    if not isinstance(ids, models.QuerySet):
        ids = list(ids)
    titles = dict(Page.objects.filter(pk__in=ids).values_list("pk", "title"))
    names = {}
    for model in organisation_page_models():
        rows = model.objects.filter(pk__in=ids).values_list("pk", "name_ru", "name_en", "org_code")
        for pk, name_ru, name_en, code in rows:
            names[pk] = OrganisationName(
                pk, titles.get(pk, ""), name_ru, name_en, code, model is DistrictBranchPage
            )
    return names


def acknowledgements_by_distribution(acknowledgements) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for ack in acknowledgements.select_related("user").order_by("created_at"):
        grouped.setdefault(ack.distribution_id, []).append(ack)
    return grouped


def describe_rows(record, distributions, today=None, *, names=None, acknowledged=None):
    """Rows for a page of a dashboard or a chunk of its CSV: names in the reader's
    language, region and district, and every person's acknowledgement.

    ``distributions`` come from ``distributions_under`` (they carry their
    organisation's path). An export of all of them passes the names and
    acknowledgements of the whole circular, read once.
    """
    distributions = list(distributions)
    steplen = Page.steplen
    ancestor_paths = set()
    for row in distributions:
        path = row.organisation_path
        ancestor_paths.update(
            path[: depth * steplen] for depth in (3, 4) if len(path) > depth * steplen
        )
    ancestor_ids = dict(Page.objects.filter(path__in=ancestor_paths).values_list("path", "pk"))
    if names is None:
        names = organisation_names({row.organisation_id for row in distributions})
    names = {**names, **organisation_names(set(ancestor_ids.values()) - set(names))}
    ancestors = {path: names.get(pk) for path, pk in ancestor_ids.items()}
    if acknowledged is None:
        acknowledged = acknowledgements_by_distribution(
            Acknowledgement.objects.filter(distribution__in=[row.pk for row in distributions])
        )
    acknowledgements = acknowledged
    described = []
    for row in distributions:
        path = row.organisation_path
        region = ancestors.get(path[: 3 * steplen])
        district = ancestors.get(path[: 4 * steplen])
        described.append(
            {
                "distribution": row,
                "organisation": names.get(row.organisation_id),
                "region": region if region and region.pk != row.organisation_id else None,
                "district": district
                if district and district.is_district and district.pk != row.organisation_id
                else None,
                "status": distribution_status(record, row.acknowledged_at, today),
                "acknowledgements": acknowledgements.get(row.pk, []),
            }
        )
    return described


def circulars_managed_by(user):
    """Distributed records whose dashboard ``user`` may open, newest first."""
    records = DocumentPage.objects.filter(distributions__isnull=False).distinct()
    if user.is_superuser:
        return records.order_by("-first_published_at", "-pk")
    grant_pages = [
        grant.page_id
        for grant in roles.principal(user).grants
        if grant.role.allows(roles.MANAGE_RECORDS)
    ]
    paths = Page.objects.filter(pk__in=grant_pages).values_list("path", flat=True)
    near = Q(owner=user)
    for path in paths:
        near |= Q(path__startswith=path)
    candidates = list(records.filter(near).order_by("-first_published_at", "-pk")[:100])
    allowed = roles.pages_allowing(user, candidates, roles.MANAGE_RECORDS)
    return [record for record in candidates if record.pk in allowed]


# --- people to tell ----------------------------------------------------------------------------


# --- background work ------------------------------------------------------------------------


@task()
def distribute_task(record_id: int) -> dict:
    """Deliver a published circular: distributions, access tokens, then the mail."""
    record = DocumentPage.objects.filter(pk=record_id).select_related("organisation").first()
    if record is None:
        return {"status": "missing"}
    added, removed = distribute(record)
    mailed = 0
    if record.live:
        mailed = notify_circular_received(record)
    logger.info("Circular %s: %s distributions added, %s removed", record_id, added, removed)
    return {"added": added, "removed": removed, "mailed": mailed}


@task()
def remind_overdue_task(record_id: int) -> dict:
    """Remind the staff of organisations that have not acknowledged past the deadline."""
    record = DocumentPage.objects.filter(pk=record_id).first()
    if record is None or not record.live or not is_overdue_date(record):
        return {"reminded": 0}
    return {"reminded": notify_overdue(record)}


def on_page_published(sender, instance, **kwargs):
    """Publishing (by a reviewer, a scheduled go-live or again) delivers the circular.

    Queued while the publication's transaction is open: the database queue
    shows it to the worker only once that commits, and the task tolerates
    being run twice.
    """
    if is_addressed(instance) or instance.distributions.exists():
        distribute_task.enqueue(instance.pk)


def connect_signals():
    page_published.connect(
        on_page_published, sender=DocumentPage, dispatch_uid="sandyq_distribute_circular"
    )


def acknowledgement_context(request, record) -> dict:
    """What the record's page shows a person about acknowledging it."""
    user = request.user
    mine = acknowledgement_of(user, record)
    offers = []
    if mine is None and record.live:
        offers = [
            distribution
            for distribution in distributions_for_person(user, record)
            if roles.has_site_permission(user, distribution.organisation, roles.ACKNOWLEDGE)
        ]
    return {
        "my_acknowledgement": mine,
        "acknowledge_offers": offers,
        "may_see_dashboard": access.may_follow_circular(user, record),
    }
