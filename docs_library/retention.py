"""Retention rules as data: when records of each type leave the current listings.

One row per document type, edited in the admin (Snippets → Retention rules),
seeded by migration 0004 with the party's defaults: announcements are archived
a year after publication, circulars 90 days after their response deadline,
minutes never. ``manage.py apply_retention`` (cron, daily) archives what is
due; it is idempotent because archived records are never due again.
"""

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel

from .models import DocumentPage, DocumentType


class CountedFrom(models.TextChoices):
    PUBLISHED = "published", _("first publication")
    DOCUMENT_DATE = "document_date", _("document date")
    DEADLINE = "deadline", _("response deadline (else the document date)")


class RetentionRule(models.Model):
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices, unique=True
    )
    archive_after_days = models.PositiveIntegerField(
        _("archive after (days)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to keep records of this type in the current listings."),
    )
    counted_from = models.CharField(
        _("counted from"), max_length=20, choices=CountedFrom.choices, default=CountedFrom.PUBLISHED
    )
    active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("document_type"),
        FieldRowPanel([FieldPanel("archive_after_days"), FieldPanel("counted_from")]),
        FieldPanel("active"),
    ]

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["document_type"]

    def __str__(self):
        return self.describe()

    def describe(self) -> str:
        kind = DocumentType(self.document_type).label
        if self.archive_after_days is None:
            return str(_("%(type)s: never archived") % {"type": kind})
        return str(
            _("%(type)s: archived %(days)s days after the %(start)s")
            % {
                "type": kind,
                "days": self.archive_after_days,
                "start": CountedFrom(self.counted_from).label,
            }
        )

    def due(self, now=None):
        """Published, current records of this type whose time in the listings is up."""
        if self.archive_after_days is None or not self.active:
            return DocumentPage.objects.none()
        now = now or timezone.now()
        today = timezone.localdate(now)
        days = datetime.timedelta(days=self.archive_after_days)
        records = DocumentPage.objects.live().current().filter(document_type=self.document_type)
        if self.counted_from == CountedFrom.PUBLISHED:
            return records.filter(first_published_at__lte=now - days)
        if self.counted_from == CountedFrom.DOCUMENT_DATE:
            return records.filter(document_date__lte=today - days)
        return records.filter(
            Q(response_deadline__lte=today - days)
            | Q(response_deadline__isnull=True, document_date__lte=today - days)
        )


DEFAULT_RULES = [
    (DocumentType.ANNOUNCEMENT, 365, CountedFrom.PUBLISHED),
    (DocumentType.CIRCULAR, 90, CountedFrom.DEADLINE),
    (DocumentType.MINUTES, None, CountedFrom.DOCUMENT_DATE),
]


def ensure_default_rules(rule_model=None) -> int:
    """The party's default rules, where no rule for the type exists yet. Idempotent."""
    rule_model = rule_model or RetentionRule
    created = 0
    for document_type, days, counted_from in DEFAULT_RULES:
        _rule, was_created = rule_model.objects.get_or_create(
            document_type=document_type,
            defaults={"archive_after_days": days, "counted_from": counted_from},
        )
        created += was_created
    return created


@dataclass
class RetentionRun:
    due: dict = field(default_factory=dict)  # rule → list of records
    archived: int = 0

    @property
    def total(self) -> int:
        return sum(len(records) for records in self.due.values())


def apply_retention(*, now=None, dry_run=False, progress=None) -> RetentionRun:
    """Archive every record a rule says is due; with ``dry_run``, only say which.

    ``progress`` wraps the iterable of due records (the command's progress bar).
    """
    from .archive import archive

    now = now or timezone.now()
    run = RetentionRun()
    for rule in RetentionRule.objects.filter(active=True, archive_after_days__isnull=False):
        records = list(rule.due(now).order_by("document_date", "pk"))
        if records:
            run.due[rule] = records
    if dry_run:
        return run
    pairs = [(rule, record) for rule, records in run.due.items() for record in records]
    for rule, record in progress(pairs) if progress else pairs:
        run.archived += archive(record, None, rule=rule, when=now)
    return run
