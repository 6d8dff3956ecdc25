"""Retention rules as data: when records of each type leave the current listings.

One row per document type, edited in the admin (Snippets → Retention rules),
seeded by migration 0004 with the party's defaults: announcements are archived
a year after publication, circulars 90 days after their response deadline,
minutes never. ``manage.py apply_retention`` (cron, daily) archives what is
due; it is idempotent because archived records are never due again.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from ..models import CountedFrom, DocumentType, RetentionRule
from .archive import archive

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
