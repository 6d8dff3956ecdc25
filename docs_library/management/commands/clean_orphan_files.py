"""Delete stored files that no row names: what a process killed mid-upload leaves behind.

A file is written to storage before the row that names it is committed (the
storage is no part of the transaction), so a server killed in between (SIGKILL,
out of memory, power) leaves a whole or half-written file that no document,
version or preview points to; the row itself is never half-saved, the
transaction is rolled back. Run daily from cron, or before the web service
starts. Files younger than ``--older-than`` minutes are spared: they may belong
to an upload still in progress.
"""

import datetime

from tqdm import tqdm

from django.core.management.base import BaseCommand
from django.utils import timezone

from docs_library.models import DocumentVersion, LibraryDocument, private_storage

#: The folders of the private storage that hold rows' files (``models.files``).
FOLDERS = ("documents", "versions", "previews")


class Command(BaseCommand):
    help = "Delete files in the private storage that no document, version or preview names."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=60,
            metavar="MINUTES",
            help="Only files last written longer ago than this (default: 60).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the files, delete nothing."
        )

    def handle(self, *args, older_than, dry_run, **options):
        storage = private_storage()
        before = timezone.now() - datetime.timedelta(minutes=older_than)
        stored = list(self.walk(storage))
        named = set()
        for field, model in (
            ("file", LibraryDocument),
            ("preview", LibraryDocument),
            ("file", DocumentVersion),
        ):
            named.update(model.objects.exclude(**{field: ""}).values_list(field, flat=True))
        orphans = []
        for name in tqdm(
            stored,
            unit="file",
            file=getattr(self.stderr, "_out", self.stderr),
            disable=None,
            dynamic_ncols=True,
        ):
            if name not in named and storage.get_modified_time(name) < before:
                orphans.append(name)
                if not dry_run:
                    storage.delete(name)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{len(orphans)} of {len(stored)} stored files named by no row {verb}.")
        for name in orphans:
            self.stdout.write(f"  {name}")

    def walk(self, storage, folder=""):
        for top in [folder] if folder else FOLDERS:
            if not storage.exists(top):
                continue
            directories, files = storage.listdir(top)
            for name in files:
                yield f"{top}/{name}"
            for directory in directories:
                yield from self.walk(storage, f"{top}/{directory}")
