"""Read documents' text again, after what made it fail has been put right.

Extraction fails for reasons outside the file: Tesseract's Kazakh model was
missing, a worker was killed mid-way, a parser had a bug since fixed. The
records stay unsearchable until someone reads them again; this is that
someone, run once by an administrator after the fix.
"""

from collections import Counter

from tqdm import tqdm

from django.core.management.base import BaseCommand

from docs_library.files.tasks import extract_document, queue_extraction
from docs_library.models import ExtractionStatus, LibraryDocument


class Command(BaseCommand):
    help = (
        "Extract the text of documents again: those whose extraction failed (default), "
        "those with the given --status, the given ids, or --all."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Only these document ids.")
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--status",
            action="append",
            choices=ExtractionStatus.values,
            help="Documents with this extraction status (may be given more than once; "
            "default: failed).",
        )
        which.add_argument("--all", action="store_true", help="Every document.")
        parser.add_argument(
            "--memory-limit",
            type=int,
            metavar="MB",
            help="Address space the process reading each file may use, in MB, instead of "
            "SANDYQ_EXTRACTION_MEMORY_LIMIT (for a genuine file that needs more).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            metavar="SECONDS",
            help="Time allowed for each file instead of SANDYQ_EXTRACTION_TIMEOUT.",
        )
        parser.add_argument(
            "--max-ocr-pages",
            type=int,
            metavar="PAGES",
            help="Pages read by OCR in each file instead of SANDYQ_MAX_OCR_PAGES.",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the work for the task worker instead of doing it now.",
        )

    def handle(self, *args, **options):
        ids, status, queue = options["ids"], options["status"], options["queue"]
        limits = {
            "memory_limit": options["memory_limit"] and options["memory_limit"] * 1024 * 1024,
            "timeout": options["timeout"],
            "max_ocr_pages": options["max_ocr_pages"],
        }
        limits = {name: value for name, value in limits.items() if value is not None}
        documents = LibraryDocument.objects.order_by("pk")
        if ids:
            documents = documents.filter(pk__in=ids)
        if not options["all"] and (status or not ids):
            documents = documents.filter(extraction_status__in=status or [ExtractionStatus.FAILED])
        # Ids only: documents are loaded one at a time, texts can be megabytes each.
        document_ids = list(documents.values_list("pk", flat=True))

        outcomes: Counter[str] = Counter()
        errors = []
        with tqdm(
            document_ids,
            unit="doc",
            file=getattr(self.stderr, "_out", self.stderr),  # tqdm needs the raw stream
            disable=None,
            dynamic_ncols=True,
        ) as bar:
            for pk in bar:
                document = LibraryDocument.objects.filter(pk=pk).first()
                if document is None:
                    continue  # deleted while we worked
                if queue:
                    queue_extraction(document, **limits)
                    outcomes["queued"] += 1
                    continue
                try:
                    outcome = extract_document(document, **limits).extraction_status
                except Exception as error:  # e.g. the stored file is gone from storage
                    outcome = "error"
                    errors.append((document, f"{type(error).__name__}: {error}"))
                else:
                    if outcome == ExtractionStatus.FAILED:
                        errors.append((document, document.extraction_error))
                outcomes[outcome] += 1
                if options["verbosity"] >= 2:
                    bar.write(f"{document.pk} {document.filename}: {outcome}", file=self.stdout)

        self.report(len(document_ids), outcomes, errors)

    def report(self, total: int, outcomes: Counter, errors: list) -> None:
        if not total:
            self.stdout.write("No documents to extract.")
            return
        counts = ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items()))
        style = self.style.WARNING if errors else self.style.SUCCESS
        noun = "document" if total == 1 else "documents"
        self.stdout.write(style(f"{total} {noun}: {counts}."))
        for document, reason in errors:
            self.stdout.write(f"  {document.pk} {document.filename}: {reason}")
