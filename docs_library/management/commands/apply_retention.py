"""Archive the records whose retention rule says their time in the listings is up.

Meant for cron (daily): it is idempotent, because an archived record is never
due again, and quiet on a terminal-less run (the progress bar shows only on a
terminal). ``--dry-run`` lists what would be archived and changes nothing.
"""

import datetime

from tqdm import tqdm

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from docs_library.lifecycle.retention import RetentionRule, apply_retention


def _moment(value: str) -> datetime.datetime:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--today wants a date as YYYY-MM-DD, not {value!r}") from error
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


class Command(BaseCommand):
    help = "Archive published documents that their type's retention rule says are due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be archived; change nothing."
        )
        parser.add_argument(
            "--today",
            type=_moment,
            help="Apply the rules as on this day (YYYY-MM-DD), to check a rule before it bites.",
        )

    def handle(self, *args, **options):
        now = options["today"] or timezone.now()
        dry_run = options["dry_run"]
        rules = list(RetentionRule.objects.order_by("document_type"))
        self.stdout.write("Retention rules:")
        for rule in rules:
            state = "" if rule.active else " (inactive)"
            self.stdout.write(f"  {rule.describe()}{state}")

        def progress(pairs):
            return tqdm(
                pairs,
                unit="doc",
                desc="Archiving",
                file=getattr(self.stderr, "_out", self.stderr),  # tqdm needs the raw stream
                disable=None,
                dynamic_ncols=True,
            )

        run = apply_retention(now=now, dry_run=dry_run, progress=progress)
        verbose = options["verbosity"] > 1 or dry_run
        for rule, records in run.due.items():
            label = rule.get_document_type_display()
            self.stdout.write(f"{label}: {len(records)} due")
            if verbose:
                for record in records:
                    self.stdout.write(f"  #{record.pk} {record} ({record.document_date:%Y-%m-%d})")
        if dry_run:
            self.stdout.write(f"Dry run: {run.total} documents would be archived; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Archived {run.archived} documents."))
