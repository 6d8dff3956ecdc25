"""Bring a folder of existing files (a shared drive, a scanned archive) into a library.

Organisations arrive with years of circulars and minutes on disk; uploading
them one by one in the admin would take weeks. Each file becomes a published
record with its history, exactly as if an editor had uploaded it, and the
import can be stopped and run again: files already in the library are
recognised by their content, not their name, and skipped.

What the metadata CSV does not say is taken from the file: the date from a
date in its name (``Хаттама 12.05.2024.pdf``), else from its modification
time, never today's by default (the year facet and the date sorts would put
a decade of paper in this year); the language from its text layer, as
extraction would detect it (a scan without one stays Kazakh, the default,
and the report counts such records).

Files are read and checked one by one, and written a batch at a time
(``docs_library.importing``): one transaction per batch, the pages, revisions,
history, tokens and search entries of the whole batch in a few statements, the
page cache purged once at the end. Small text files are read in this process
(a fork per file would cost more than the file); other files are read by the
extraction task, as uploads are. A batch that cannot be written (a concurrent
edit of the library, a constraint) is rolled back and its files imported one
by one the ordinary way, so each failure is told against its own file.
"""

import csv
import datetime
import io
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tqdm import tqdm

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from wagtail.log_actions import log
from wagtail.models import Page, Site

from docs_library import importing
from docs_library.files.extraction import extract_text, read_small_text
from docs_library.files.validation import TEXT, sha256_of, split_extension
from docs_library.models import (
    AccessLevel,
    DocumentLanguage,
    DocumentLibraryPage,
    DocumentPage,
    DocumentType,
    LibraryDocument,
)
from home import page_cache, roles
from home.models import nearest_organisation

logger = logging.getLogger("sandyq.import")

CSV_COLUMNS = (
    "file",
    "title",
    "document_type",
    "registration_number",
    "document_date",
    "language",
    "summary",
    "access_level",
    "keywords",
)
#: ISO first; then the way dates are written on Kazakh and Russian paperwork.
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
#: A date inside a file name: 12.05.2024, 12-05-2024, 12_05_2024 or 2024-05-12.
NAME_DATE = re.compile(
    r"(?<!\d)(?:(\d{1,2})[._-](\d{1,2})[._-]((?:19|20)\d\d)|((?:19|20)\d\d)-(\d\d)-(\d\d))(?!\d)"
)
#: Seconds spent reading a file's text layer for its language (no OCR: the
#: extraction task does that later, in the background).
LANGUAGE_TIMEOUT = 20
TITLE_LENGTH = DocumentPage._meta.get_field("title").max_length
NUMBER_LENGTH = DocumentPage._meta.get_field("registration_number").max_length
SLUG_LENGTH = 80
#: Files written per transaction (``--batch-size``).
BATCH_SIZE = 200


def nfc(text: str) -> str:
    """Names copied from a Mac are decomposed (NFD); the database and search want NFC."""
    return unicodedata.normalize("NFC", text)


def readable_name(name: str) -> str:
    """A file name as text, even when its bytes are not UTF-8 (an old Windows archive).

    Such names reach Python with surrogate escapes, which no database accepts.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = os.fsencode(name).decode("utf-8", errors="replace")
    return nfc(name)


def archive_files(folder: Path, *, exclude=()) -> list[Path]:
    """Every regular file below ``folder``, in a stable order, except hidden ones.

    Hidden folders (``.git``, ``.Trash``) are skipped whole, and so are the
    metadata file and anything else named in ``exclude``.
    """
    excluded = {path.resolve() for path in exclude}
    found = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in names:
            path = Path(directory) / name
            if name.startswith(".") or not path.is_file() or path.resolve() in excluded:
                continue
            found.append(path)
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def find_library(value: str) -> DocumentLibraryPage:
    """The library named by its page id or by the URL a browser shows for it."""
    value = value.strip()
    page = Page.objects.filter(pk=int(value)).first() if value.isdigit() else page_at_url(value)
    if page is None:
        raise CommandError(f"No page found for --library {value!r}.")
    page = page.specific
    if not isinstance(page, DocumentLibraryPage):
        kind = page._meta.verbose_name
        raise CommandError(f"{page.title!r} ({value}) is a {kind}, not a document library.")
    return page


def page_at_url(value: str) -> Page | None:
    """Accept what people paste: a full URL, a path with or without ``/kk/``, encoded or not."""
    path = nfc(unquote(urlsplit(value).path))
    parts = [part for part in path.split("/") if part]
    languages = {code for code, _name in settings.LANGUAGES}
    variants = [parts]
    if parts and parts[0] in languages:
        variants.insert(0, parts[1:])

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    candidates = []
    for variant in variants:
        relative = "".join(f"{part}/" for part in variant)
        if site is not None:
            candidates.append(f"{site.root_page.url_path}{relative}")
        candidates.append(f"/{relative}")  # the page's own url_path, as a developer sees it
    pages = {page.url_path: page for page in Page.objects.filter(url_path__in=candidates)}
    return next((pages[url] for url in candidates if url in pages), None)


def find_user(username: str | None):
    if not username:
        return None
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return user


def read_metadata(path: Path) -> dict[str, dict[str, str]]:
    """Rows of the metadata CSV by the file they describe.

    Excel in Kazakh and Russian locales saves with ";" between columns and a
    byte-order mark; both are accepted.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise CommandError(f"Metadata file {path} does not exist.") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"Metadata file {path} is not UTF-8: save it as CSV UTF-8.") from error
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if "file" not in header or unknown or len(set(header)) != len(header):
        raise CommandError(
            f"Metadata file {path} has the header {delimiter.join(header)!r}; expected "
            f"'file' and any of: {', '.join(CSV_COLUMNS[1:])}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    rows: dict[str, dict[str, str]] = {}
    for line_number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        row = {name: value.strip() for name, value in zip(header, values, strict=False)}
        key = nfc(row.get("file", "")).strip("/")
        if not key:
            raise CommandError(f"Metadata file {path}, line {line_number}: the file is missing.")
        if key in rows:
            raise CommandError(f"Metadata file {path}, line {line_number}: {key!r} comes twice.")
        rows[key] = row
    return rows


def parse_date(value: str) -> datetime.date:
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    raise ValidationError(f"Date {value!r} is not a date like 2024-03-15 or 15.03.2024.")


def date_in_name(name: str) -> datetime.date | None:
    """The first real date written in a file name, if any."""
    for match in NAME_DATE.finditer(name):
        day, month, year, iso_year, iso_month, iso_day = match.groups()
        try:
            if year:
                return datetime.date(int(year), int(month), int(day))
            return datetime.date(int(iso_year), int(iso_month), int(iso_day))
        except ValueError:
            continue
    return None


def file_date(path: Path, name: str) -> datetime.date:
    """The date of an archived file the metadata does not date: from its name, else
    its modification time (never later than today)."""
    found = date_in_name(name)
    if found is None:
        modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
        found = timezone.localdate(modified)
    return min(found, timezone.localdate())


def checked_choice(value: str, choices, what: str) -> str:
    if value not in choices.values:
        raise ValidationError(f"Unknown {what} {value!r}; use one of: {', '.join(choices.values)}.")
    return value


@dataclass
class Failure:
    name: str
    reason: str


class Command(BaseCommand):
    help = (
        "Import every file of FOLDER (recursively) as a published record of a document "
        "library. Files whose content is already a record of the library are skipped, so "
        "an interrupted import can simply be run again. Dates the metadata does not give "
        "come from a date in the file name, else the file's modification time; languages "
        "from the file's text."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="The folder to import, searched recursively.")
        parser.add_argument(
            "--library",
            required=True,
            help="The document library: its page id, or its URL or path, e.g. "
            "/kk/қарағанды-облысы/құжаттар/",
        )
        parser.add_argument(
            "--access",
            help="Access level of the records: "
            f"{', '.join(AccessLevel.values)} (default: the library's default).",
        )
        parser.add_argument(
            "--metadata",
            help="A UTF-8 CSV with the header " + ",".join(CSV_COLUMNS) + " (all but file "
            "optional); file is the path below FOLDER or the file's name.",
        )
        parser.add_argument("--user", help="User name recorded as uploader and owner.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Files written per transaction (default {BATCH_SIZE}).",
        )

    def handle(self, *args, **options):
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        self.library = find_library(options["library"])
        self.access_level = options["access"] or self.library.default_access_level
        if self.access_level not in AccessLevel.values:
            raise CommandError(
                f"Unknown access level {self.access_level!r}; "
                f"use one of: {', '.join(AccessLevel.values)}."
            )
        self.user = find_user(options["user"])
        self.collection = roles.collection_for(self.library)
        metadata_path = Path(options["metadata"]) if options["metadata"] else None
        self.metadata = read_metadata(metadata_path) if metadata_path else {}
        self.metadata_used: set[str] = set()
        self.undetected_language: set[Path] = set()  # a failed batch reads its files again

        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.organisation = nearest_organisation(self.library)
        # Read once, kept up to date: what is already there (by content) and the
        # slugs taken, so that no file costs a query to be skipped or named.
        self.known = set(
            DocumentPage.objects.child_of(self.library)
            .exclude(main_file=None)
            .values_list("main_file__sha256", flat=True)
        )
        self.slugs = set(self.library.get_children().values_list("slug", flat=True))
        self.numbers: set[tuple[int, str]] = set()

        files = archive_files(folder, exclude=[metadata_path] if metadata_path else [])
        self.imported = self.skipped = 0
        self.failures: list[Failure] = []
        self.verbosity = options["verbosity"]
        with (
            page_cache.purge_once(),
            tqdm(
                files,
                desc=self.library.title[:30],
                unit="file",
                file=getattr(self.stderr, "_out", self.stderr),  # tqdm needs the raw stream
                disable=None,  # no bar when stderr is a log file
                dynamic_ncols=True,
            ) as bar,
        ):
            batch: list[importing.Item] = []
            try:
                for path in bar:
                    name = readable_name(path.relative_to(folder).as_posix())
                    bar.set_postfix_str(name[-40:], refresh=False)
                    item = self.attempt(name, lambda path=path, name=name: self.prepare(path, name))
                    if item is None:
                        continue
                    batch.append(item)
                    if len(batch) >= options["batch_size"]:
                        self.write(batch, bar)
                        batch = []
                if batch:
                    self.write(batch, bar)
                    batch = []
            finally:
                for item in batch:  # stopped (Ctrl-C) before the batch was written
                    item.forget_file()

        self.report(self.imported, self.skipped, self.failures)

    def attempt(self, name: str, action):
        """``action()``, or None with the failure noted against ``name``."""
        try:
            return action()
        except ValidationError as error:
            self.failures.append(Failure(name, " ".join(str(m) for m in error.messages)))
        except Exception as error:
            logger.exception("Import of %s failed", name)
            self.failures.append(Failure(name, f"{type(error).__name__}: {error}"))
        return None

    def write(self, batch: list[importing.Item], bar) -> None:
        """The batch in one transaction; if that fails, each file the ordinary way."""
        try:
            importing.write_batch(self.library, batch, user=self.user)
        except Exception:
            logger.warning(
                "A batch of %d files failed; importing them one by one", len(batch), exc_info=True
            )
            for item in batch:
                item.forget_file()
            for item in batch:
                record = self.attempt(
                    item.name, lambda item=item: self.import_file(item.path, item.name)
                )
                self.done(item.name, record, bar)
            return
        for item in batch:
            self.done(item.name, item.record, bar)

    def done(self, name: str, record: DocumentPage | None, bar) -> None:
        if record is None:
            return
        self.imported += 1
        self.slugs.add(record.slug)
        if self.verbosity >= 2:
            bar.write(f"imported: {name} → {record.url_path}", file=self.stdout)

    def prepare(self, path: Path, name: str) -> importing.Item | None:
        """Check one file and store it; None when its content is already a record here."""
        with path.open("rb") as handle:
            sha256 = sha256_of(handle)
            if sha256 in self.known:
                self.metadata_for(name)  # its row is not a typo
                self.skipped += 1
                if self.verbosity >= 2:
                    self.stdout.write(f"skipped (already in the library): {name}")
                return None
            row = self.metadata_for(name)
            record = self.new_record(path, name, row)
            importing.derive_fields(record, self.organisation)
            self.check_record(record)
            upload = File(handle, name=name.rsplit("/", 1)[-1])
            document = LibraryDocument.stored_upload(
                upload, title=record.title, user=self.user, collection=self.collection
            )
        item = importing.Item(path, name, document, record)
        try:
            self.read_language(item, from_file=not row.get("language"))
        except BaseException:
            item.forget_file()
            raise
        self.known.add(sha256)
        self.slugs.add(record.slug)
        if record.registration_number:
            self.numbers.add((record.registration_year, record.registration_number))
        return item

    def check_record(self, record: DocumentPage) -> None:
        """What saving would refuse, asked before anything is stored: the fields, and a
        registration number already used (in the database or earlier in this run)."""
        relations = [
            field.name for field in DocumentPage._meta.concrete_fields if field.is_relation
        ]
        tree = ["path", "depth", "numchild", "url_path"]  # set when the batch is written
        record.clean_fields(exclude=[*relations, *tree])
        if record.registration_number:  # the constraint's condition, without its query
            record.validate_constraints()
        if (record.registration_year, record.registration_number) in self.numbers:
            [constraint] = DocumentPage._meta.constraints
            raise ValidationError(constraint.violation_error_message)

    def read_language(self, item: importing.Item, *, from_file: bool) -> None:
        """A small text file is read here, whole (its extraction is then done); any
        other file's language comes from its text layer, its text later from the
        extraction task."""
        document = item.document
        result = None
        if document.mime_type == TEXT:
            # Decoding a small text file cannot exhaust memory or hang: the child
            # process (a fork per file) would cost more than reading it.
            result = read_small_text(item.path)
        if result is not None:
            document.apply_extraction(result)
            document._needs_extraction = False
            if from_file:
                item.record.language = self.known_language(result.language, item.path)
        elif from_file:
            item.record.language = self.language_of(item.path, document.mime_type)

    def report(self, imported: int, skipped: int, failures: list[Failure]) -> None:
        summary = f"Imported {imported}, skipped {skipped}, failed {len(failures)}."
        style = self.style.ERROR if failures else self.style.SUCCESS
        self.stdout.write(style(summary))
        if self.undetected_language:
            undetected = len(self.undetected_language)
            self.stdout.write(
                f"{undetected} record(s) without a text layer to tell their "
                "language (scans) were given Kazakh; correct them in the admin or give a "
                "language in the metadata CSV."
            )
        if failures:
            self.stdout.write("Failed:")
            for failure in failures:
                self.stdout.write(f"  {failure.name}: {failure.reason}")
        unused = sorted(set(self.metadata) - self.metadata_used)
        if unused:
            self.stdout.write(
                self.style.WARNING(f"Metadata rows that match no file ({len(unused)}):")
            )
            for key in unused:
                self.stdout.write(f"  {key}")

    def metadata_for(self, name: str) -> dict[str, str]:
        for key in (name, name.rsplit("/", 1)[-1]):
            if key in self.metadata:
                self.metadata_used.add(key)
                return self.metadata[key]
        return {}

    def import_file(self, path: Path, name: str) -> DocumentPage | None:
        """Import one file; None when its content is already a record of the library."""
        with path.open("rb") as handle:
            sha256 = sha256_of(handle)
            already = DocumentPage.objects.child_of(self.library).filter(main_file__sha256=sha256)
            if already.exists():
                self.metadata_for(name)  # its row is not a typo
                return None
            row = self.metadata_for(name)
            record = self.new_record(path, name, row)
            upload = File(handle, name=name.rsplit("/", 1)[-1])
            # Without a language in the metadata, the file's text tells it.
            return self.store(upload, record, language_from=None if row.get("language") else path)

    def new_record(self, path: Path, name: str, row: dict[str, str]) -> DocumentPage:
        """The unsaved record, with CSV values checked before any file is stored."""
        stem = split_extension(name.rsplit("/", 1)[-1])[0]  # "Хаттама 12.05.2024" keeps its date
        title = (row.get("title") or stem).strip()[:TITLE_LENGTH]
        record = DocumentPage(
            title=title,
            slug=self.free_slug(title),
            document_type=checked_choice(
                row.get("document_type") or self.library.default_document_type,
                DocumentType,
                "document type",
            ),
            access_level=checked_choice(
                row.get("access_level") or self.access_level, AccessLevel, "access level"
            ),
            registration_number=row.get("registration_number", "")[:NUMBER_LENGTH],
            summary=row.get("summary", ""),
            owner=self.user,
        )
        if row.get("document_date"):
            record.document_date = parse_date(row["document_date"])
        else:
            record.document_date = file_date(path, name)
        if row.get("language"):
            record.language = checked_choice(row["language"], DocumentLanguage, "language")
        keywords = [word.strip() for word in row.get("keywords", "").replace(";", ",").split(",")]
        if any(keywords):
            record.keywords.add(*[word for word in keywords if word])
        return record

    def language_of(self, path: Path, mime: str) -> str:
        """The language of the file's text layer; Kazakh when it has none (a scan)."""
        found = extract_text(path, mime, max_ocr_pages=0, timeout=LANGUAGE_TIMEOUT).language
        return self.known_language(found, path)

    def known_language(self, found: str, path: Path) -> str:
        if found not in DocumentLanguage.values:
            self.undetected_language.add(path)
            found = DocumentLanguage.KAZAKH
        return found

    def free_slug(self, title: str) -> str:
        """Like Wagtail's own slug for a title, shortened: archive titles can be whole sentences."""
        base = slugify(title, allow_unicode=True)[:SLUG_LENGTH].strip("-") or "document"
        slug, suffix = base, 1
        while slug in self.slugs:  # every slug of the library, read once at the start
            suffix += 1
            slug = f"{base}-{suffix}"
        return slug

    def store(
        self, upload: File, record: DocumentPage, *, language_from: Path | None = None
    ) -> DocumentPage:
        """Save the file and its record together, or neither.

        The database rolls back by itself; the stored file and its preview are
        not in the database, so they are deleted here when the record fails.
        """
        leftovers = []
        try:
            with transaction.atomic():
                document = LibraryDocument.from_upload(
                    upload, title=record.title, user=self.user, collection=self.collection
                )
                if language_from is not None:
                    record.language = self.language_of(language_from, document.mime_type)
                try:
                    with transaction.atomic():
                        record.main_file = document
                        self.library.add_child(instance=record)
                        log(instance=record, action="wagtail.create", user=self.user)
                        record.save_revision(user=self.user).publish(user=self.user)
                except Exception:
                    document.refresh_from_db(fields=["preview"])
                    leftovers = [document.file, document.preview]
                    raise
        except Exception:
            for fieldfile in leftovers:
                if fieldfile:
                    fieldfile.storage.delete(fieldfile.name)
            raise
        return record
