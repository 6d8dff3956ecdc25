"""Keeping the search index in step with the pages.

One function, :func:`entry_values`, decides what a page contributes to search
(its words and keys, facet values, place in the tree); the database index
(``SearchEntry``), the model's ``search_terms`` field that Wagtail's own
backends index, and the Elasticsearch documents (``search.backends``) are all
filled from it, so every backend sees the same stems and the same facets.

What is searched: live organisation pages, announcements and document records.
Unpublished pages have no entry: a result must be a page the reader can open.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, repeat

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from wagtail.models import Page
from wagtail.rich_text import get_text_for_indexing

from docs_library.access import record_tokens
from docs_library.access import records_showing as showing
from docs_library.models import (
    DocumentPage,
    LibraryDocument,
)
from home.models import (
    AnnouncementPage,
    HomePage,
    OrganisationPage,
    RegionalBranchPage,
    organisation_page_models,
)
from search import analysis
from search.engines import rows
from search.models import EntryKind, EntryStatus, SearchEntry, SearchText
from search.query import registration_key

logger = logging.getLogger("sandyq.search")

#: Characters of a record's text (summary, body and files together) that are
#: indexed; about 100 pages of prose. Snippets come from the same text.
MAX_TEXT_CHARS = 300_000
#: Estimated size of one entry's PostgreSQL tsvector kept under its 1 MB
#: limit; text past the point where the estimate is reached is not indexed.
VECTOR_BYTES_BUDGET = 700_000
MAX_TSVECTOR_POSITIONS = 256


def searched_models() -> list[type[Page]]:
    """The page types search looks at, organisation pages first."""
    return [*organisation_page_models(), AnnouncementPage, DocumentPage]


def is_searched(page) -> bool:
    return isinstance(page, OrganisationPage | AnnouncementPage | DocumentPage)


def kind_of(page) -> str:
    if isinstance(page, DocumentPage):
        return EntryKind.DOCUMENT
    if isinstance(page, AnnouncementPage):
        return EntryKind.ANNOUNCEMENT
    return EntryKind.ORGANISATION


def status_of(page) -> str:
    """Archived when the page says so (a record's ``archived_at``); any other page
    is current."""
    if getattr(page, "archived_at", None):
        return EntryStatus.ARCHIVED
    return EntryStatus.CURRENT


@dataclass
class PageText:
    """A page's text as search reads it: a title line and the parts of its text."""

    title: str
    parts: list[tuple[str, str]] = field(default_factory=list)  # (part, text)
    registration_number: str = ""
    language: str = ""  # what the page says its language is, if it says

    @property
    def body(self) -> str:
        text = "\n\n".join(text for _part, text in self.parts if text)
        return text[:MAX_TEXT_CHARS]


def attachment_texts(record_ids) -> dict[int, list[str]]:
    """The text of every attachment of these records, in their order, in one query."""
    texts: dict[int, list[str]] = {}
    record_ids = list(record_ids)
    if not record_ids:
        return texts
    for page_id, text in rows.attachment_texts(record_ids):
        texts.setdefault(page_id, []).append(text or "")
    return texts


def page_parts(page, attachments: list[str] | None = None) -> list[tuple[str, str]]:
    """The parts of a page's text, in the order they are indexed (no title).

    ``attachments``: the record's attachment texts when the caller has read
    them for many records at once (:func:`attachment_texts`).
    """
    if isinstance(page, DocumentPage):
        if attachments is None:
            attachments = attachment_texts([page.pk]).get(page.pk, []) if page.pk else []
        main_file = page.main_file if page.main_file_id else None
        return record_parts(
            page.summary, page.body, main_file.extracted_text if main_file else "", attachments
        )
    if isinstance(page, AnnouncementPage):
        body_field = AnnouncementPage._meta.get_field("body")
        body = " ".join(str(text) for text in body_field.get_searchable_content(page.body))
        return [("summary", page.summary or ""), ("body", body)]
    if isinstance(page, OrganisationPage):
        return organisation_parts(page.description, page.chair, page.secretary, page.address)
    return []


def organisation_parts(description, chair, secretary, address) -> list[tuple[str, str]]:
    """An organisation page's parts from its fields (``description`` is rich text)."""
    return [
        ("body", get_text_for_indexing(description or "")),
        ("body", " ".join(filter(None, [chair, secretary, address]))),
    ]


#: The fields :func:`organisation_parts` reads, in its order.
ORGANISATION_TEXT_FIELDS = ("description", "chair", "secretary", "address")


def record_parts(summary, body, file_text, attachments: list[str]) -> list[tuple[str, str]]:
    """A record's parts from its fields (``body`` is rich text), for :func:`page_parts`
    and for search results, which read them without loading the record."""
    return [
        ("summary", summary or ""),
        ("body", get_text_for_indexing(body or "")),
        ("file", file_text or ""),
        *(("file", text) for text in attachments),
    ]


def page_text(page, attachments: list[str] | None = None) -> PageText:
    """What of this page is searchable: its title line(s) and its text.

    ``attachments``: as for :func:`page_parts`.
    """
    if isinstance(page, DocumentPage):
        keywords = " ".join(item.tag.name for item in page.tagged_items.all())
        return PageText(
            title="\n".join(filter(None, [page.title, page.registration_number, keywords])),
            parts=page_parts(page, attachments),
            registration_number=page.registration_number,
            language=page.language,
        )
    if isinstance(page, AnnouncementPage):
        return PageText(title=page.title, parts=page_parts(page), language=page.language)
    if isinstance(page, OrganisationPage):
        names = [page.title, page.name_ru, page.name_en, page.short_name]
        return PageText(title="\n".join(filter(None, names)), parts=page_parts(page))
    return PageText(title=page.title)


def _vector_bytes(columns: Iterable[list[str]]) -> int:
    """Roughly what PostgreSQL needs for these tokens as one tsvector.

    Each distinct token costs 8 bytes, its UTF-8 bytes and 2 bytes per position
    up to 256; the sums are taken in C (a page has thousands of tokens).
    """
    counts = Counter(chain.from_iterable(columns))
    return (
        8 * len(counts)
        + len("".join(counts).encode())
        + 2 * sum(map(min, counts.values(), repeat(MAX_TSVECTOR_POSITIONS)))
    )


def analysed(text: PageText) -> dict[str, str]:
    """The four token columns of a page, its text cut to fit every engine.

    Saving a page analyses it for Sandyq's index and again for the
    ``search_terms`` field Wagtail's backend indexes; the same text gives the
    same tokens, so the second time is taken from a small cache.

    A title is one short line, too short for the analyser to tell Kazakh from
    Russian when it has no Kazakh-only letter (Партиясы хабарландыру reads as
    Russian), so each title line (a record's number and keywords, an
    organisation's other names) is analysed both ways unless the page says it
    is in Russian.
    """
    return dict(_analysed(text.title, text.body, text.language))


@lru_cache(maxsize=16)
def _analysed(title: str, body: str, language: str) -> tuple[tuple[str, str], ...]:
    title_words = analysis.tokenise(title)
    title_language = None if language == "ru" else "und"
    title_keys = []
    for line in title.splitlines():
        title_keys += analysis.index_terms(line, title_language).split()
    while True:
        text_words, text_terms = analysis.words_and_terms(body)
        text_keys = text_terms.split()
        size = _vector_bytes([title_words, title_keys, text_words, text_keys])
        if size <= VECTOR_BYTES_BUDGET or len(body) < 1000:
            break
        body = body[: int(len(body) * VECTOR_BYTES_BUDGET / size * 0.8)]
        logger.info("Search indexes only the first %d characters of a long text", len(body))
    return (
        ("title_words", " ".join(title_words)),
        ("title_keys", " ".join(title_keys)),
        ("text_words", " ".join(text_words)),
        ("text_keys", " ".join(text_keys)),
    )


class RegionLookup:
    """The organisation at region level above a page, from tree paths.

    A page's region is the regional branch it belongs to; pages of the central
    office itself (and above any region) count under the central office.
    """

    def __init__(self, rows: Iterable[tuple[str, int]]):
        self.by_path = dict(rows)

    @classmethod
    def load(cls) -> RegionLookup:
        rows = list(RegionalBranchPage.objects.values_list("path", "pk"))
        rows += list(HomePage.objects.values_list("path", "pk"))
        return cls(rows)

    def region_for(self, path: str) -> int | None:
        steplen = Page.steplen
        for end in range(len(path), 0, -steplen):
            region = self.by_path.get(path[:end])
            if region is not None:
                return region
        return None


def entry_values(
    page,
    regions: RegionLookup | None = None,
    text: PageText | None = None,
    columns: dict[str, str] | None = None,
) -> dict:
    """Everything ``SearchEntry`` stores about a (specific, live) page.

    ``columns``: the page's :func:`analysed` columns when another process has
    analysed its text (a parallel rebuild).
    """
    regions = regions or RegionLookup.load()
    text = text or page_text(page)
    values = dict(columns) if columns is not None else analysed(text)
    kind = kind_of(page)
    if isinstance(page, DocumentPage):
        date, entry_type, language = page.document_date, page.document_type, page.language
    elif isinstance(page, AnnouncementPage):
        date, entry_type, language = page.date, EntryKind.ANNOUNCEMENT.value, page.language
    else:
        date, entry_type, language = None, EntryKind.ORGANISATION.value, ""
    values.update(
        kind=kind,
        title=page.title[:255],
        registration_number=text.registration_number[:50],
        registration_key=registration_key(text.registration_number),
        entry_type=entry_type,
        date=date,
        year=date.year if date else None,
        language=language or "",
        region_id=regions.region_for(page.path),
        path=page.path,
        status=status_of(page),
        analyser_version=analysis.ANALYSER_VERSION,
    )
    return values


def search_terms(page) -> str:
    """The analysed keys of a page, for the ``search_terms`` field of Wagtail's backends.

    Registered as the ``sandyq_search_terms`` hook; the page models call it.
    Elasticsearch gets all the keys, in order: ``search.backends`` works them out
    with the page's other ``sandyq_*`` fields and hands them over here. Wagtail's
    database backend gets none: in Sandyq it only answers the admin's page
    search, explorer search and page choosers, which all call ``autocomplete``
    and so read only the autocomplete fields (titles, registration numbers);
    the keys it was given were a second analysis of every page, never read
    (``docs/search.md``, "Wagtail's own index").
    """
    cached = getattr(page, "_sandyq_terms", None)
    return cached or ""


# --- writing the database index ------------------------------------------------


def update_page(page) -> None:
    """Bring one page's entry up to date (or remove it if it is not searchable)."""
    if page is None or page.pk is None:
        return
    if type(page) is Page:
        page = page.specific
    if not (is_searched(page) and page.live):
        SearchEntry.objects.filter(page_id=page.pk).delete()
        return
    entry_fields, text_fields = _split(entry_values(page))
    with transaction.atomic():
        entry, _created = SearchEntry.objects.update_or_create(
            page_id=page.pk, defaults=entry_fields
        )
        SearchText.objects.update_or_create(entry=entry, defaults=text_fields)


TEXT_FIELDS = ("title_words", "title_keys", "text_words", "text_keys")


def _split(values: dict) -> tuple[dict, dict]:
    """Entry columns and token columns, which live in two tables (see search.models)."""
    text = {name: values[name] for name in TEXT_FIELDS}
    return {k: v for k, v in values.items() if k not in TEXT_FIELDS}, text


def index_records(record_ids) -> int:
    """Write the entries of these records in one go (a bulk import's batch)."""
    pages = list(_indexable(DocumentPage).filter(pk__in=list(record_ids)))
    return _write_batch(pages, RegionLookup.load()) if pages else 0


def records_showing(document: LibraryDocument):
    return showing(document).select_related("main_file")


def update_records_showing(document_id: int) -> int:
    """A file's text changed: re-read it into the records that show it."""
    document = LibraryDocument.objects.filter(pk=document_id).first()
    if document is None:
        return 0
    count = 0
    for record in records_showing(document):
        update_page(record)
        count += 1
    return count


def refresh_structure(page) -> int:
    """After a move: the subtree's paths and regions changed, its text did not."""
    regions = RegionLookup.load()
    entries = list(SearchEntry.objects.filter(page__path__startswith=page.path))
    paths = dict(
        Page.objects.filter(pk__in=[entry.page_id for entry in entries]).values_list("pk", "path")
    )
    changed = []
    for entry in entries:
        path = paths.get(entry.page_id, entry.path)
        region = regions.region_for(path)
        if entry.path != path or entry.region_id != region:
            entry.path, entry.region_id = path, region
            changed.append(entry)
    SearchEntry.objects.bulk_update(changed, ["path", "region"], batch_size=500)
    return len(changed)


def _indexable(model):
    queryset = model.objects.live().order_by("pk")
    if model is DocumentPage:
        queryset = queryset.select_related("main_file").prefetch_related(
            "attachments__document", "tagged_items__tag"
        )
    return queryset


def pages_to_index(*, everything: bool) -> list[tuple[type[Page], object]]:
    """(model, queryset) pairs of live searchable pages whose entry is missing or stale."""
    current = SearchEntry.objects.filter(analyser_version=analysis.ANALYSER_VERSION)
    pairs = []
    for model in searched_models():
        queryset = _indexable(model)
        if not everything:
            queryset = queryset.exclude(pk__in=current.values("page_id"))
        pairs.append((model, queryset))
    return pairs


def rebuild(
    *,
    everything: bool = False,
    batch_size: int = 200,
    progress: Callable[[int], None] | None = None,
    pairs=None,
    jobs: int = 1,
) -> dict[str, int]:
    """Write entries for every live searchable page (or only missing and stale ones).

    Works batch by batch, each in its own transaction, so search keeps
    answering from the old entries while a large site is re-read; entries of
    pages that are no longer live or searchable are removed at the end.

    ``jobs`` > 1 analyses the text of each batch in that many forked processes
    while this one reads the next batch and writes the last: analysis is most
    of a rebuild's time and a pure function of a page's title, text and
    language, so the entries are the same as with one job. The workers never
    touch the database.
    """
    regions = RegionLookup.load()
    written = 0
    batches = _batches(pairs if pairs is not None else pages_to_index(everything=everything))
    if jobs <= 1:
        for batch in batches(batch_size):
            written += _write_batch(batch, regions)
            if progress:
                progress(len(batch))
    else:
        with _AnalysisPool(jobs) as pool:
            pending = None
            for batch in batches(batch_size):
                texts = _texts(batch)
                submitted = (batch, texts, pool.submit(texts))
                if pending:
                    written += _finish(pending, regions, progress)
                pending = submitted
            if pending:
                written += _finish(pending, regions, progress)
    removed = remove_orphans()
    return {"written": written, "removed": removed}


def _batches(pairs):
    def batches(batch_size: int):
        for _model, queryset in pairs:
            batch = []
            for page in queryset.iterator(chunk_size=batch_size):
                batch.append(page)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    return batches


def _finish(pending, regions: RegionLookup, progress) -> int:
    pages, texts, columns = pending
    written = _write_batch(pages, regions, texts, columns())
    if progress:
        progress(len(pages))
    return written


def _analyse_texts(items: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    """Run in a worker of :class:`_AnalysisPool`."""
    return [dict(_analysed(title, body, language)) for title, body, language in items]


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent alone stops the work.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _AnalysisPool:
    """Forked processes that analyse texts; :meth:`submit` returns a function
    that waits for the columns, in order.

    A worker's exception comes back as itself, a worker that dies as
    ``BrokenProcessPool``; on any error or Ctrl-C the queued work is cancelled,
    so nothing hangs.
    """

    #: Pages per task: small enough to spread a batch over the workers.
    CHUNK = 25

    def __init__(self, jobs: int):
        self.executor = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_ignore_interrupts,
        )

    def submit(self, texts: list[PageText]) -> Callable[[], list[dict[str, str]]]:
        items = [(text.title, text.body, text.language) for text in texts]
        futures = [
            self.executor.submit(_analyse_texts, items[start : start + self.CHUNK])
            for start in range(0, len(items), self.CHUNK)
        ]
        return lambda: [columns for future in futures for columns in future.result()]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        # After an error the queued tasks are dropped: only the few running
        # ones (CHUNK pages each) are waited for.
        self.executor.shutdown(wait=True, cancel_futures=exc_type is not None)


def _texts(pages) -> list[PageText]:
    """The pages' texts, with the attachments of all the records in one query."""
    attachments = attachment_texts(page.pk for page in pages if isinstance(page, DocumentPage))
    return [page_text(page, attachments.get(page.pk, [])) for page in pages]


def _write_batch(pages, regions: RegionLookup, texts=None, columns=None) -> int:
    texts = texts or _texts(pages)
    columns = columns or [None] * len(pages)
    entries, rows = [], []
    for page, text, page_columns in zip(pages, texts, columns, strict=True):
        entry_fields, text_fields = _split(entry_values(page, regions, text, page_columns))
        entries.append(SearchEntry(page_id=page.pk, **entry_fields))
        rows.append(SearchText(entry_id=page.pk, **text_fields))
    with transaction.atomic():
        SearchEntry.objects.filter(page_id__in=[page.pk for page in pages]).delete()
        SearchEntry.objects.bulk_create(entries, batch_size=100)
        SearchText.objects.bulk_create(rows, batch_size=100)
    return len(entries)


def remove_orphans() -> int:
    """Entries whose page is unpublished or no longer of a searched type."""
    content_types = ContentType.objects.get_for_models(*searched_models()).values()
    stale = SearchEntry.objects.exclude(page__live=True) | SearchEntry.objects.exclude(
        page__content_type__in=list(content_types)
    )
    deleted, _ = SearchEntry.objects.filter(pk__in=stale.values("pk")).delete()
    return deleted


# --- Elasticsearch ------------------------------------------------------------------


def elasticsearch_fields(page) -> dict:
    """The ``sandyq_*`` fields of a page's Elasticsearch document (see search.backends).

    Pages search does not show (unpublished ones, libraries, index pages) get
    none, and so never match the service's queries, which ask for a kind.
    """
    if not (is_searched(page) and page.live):
        return {}
    text = page_text(page)
    values = entry_values(page, text=text)
    tokens = sorted(record_tokens(page)) if isinstance(page, DocumentPage) else ["public"]
    date = values["date"]
    return {
        "_terms": " ".join(filter(None, [values["title_keys"], values["text_keys"]])),
        "sandyq_kind": str(values["kind"]),
        "sandyq_tokens": tokens,
        "sandyq_region": values["region_id"],
        "sandyq_type": values["entry_type"],
        "sandyq_year": values["year"],
        "sandyq_date": date.isoformat() if date else None,
        "sandyq_language": values["language"] or None,
        "sandyq_status": str(values["status"]),
        "sandyq_path": values["path"],
        "sandyq_registration": values["registration_key"] or None,
        "sandyq_title": values["title"],
        "sandyq_registration_number": values["registration_number"],
        "sandyq_title_words": values["title_words"],
        "sandyq_title_terms": values["title_keys"],
        "sandyq_words": " ".join(filter(None, [values["title_words"], values["text_words"]])),
        "sandyq_text": text.body,
    }


def elasticsearch_backends():
    from wagtail.search.backends import get_search_backends

    return [
        backend
        for backend in get_search_backends(with_auto_update=True)
        if getattr(backend, "takes_sandyq_fields", False)
    ]


def reindex_in_elasticsearch(pages: Iterable[Page]) -> int:
    """Re-send pages whose access tokens or place changed to Elasticsearch.

    The database engines read ``DocumentAccess`` when they search (PostgreSQL in
    its statement, SQLite through ``search.engines.columns``), so only Elasticsearch,
    which holds the tokens in its documents, needs this.
    """
    backends = elasticsearch_backends()
    if not backends:
        return 0
    count = 0
    for page in pages:
        page = page.specific
        for backend in backends:
            try:
                backend.add(page)
            except Exception:  # an unreachable cluster must not fail the save
                logger.exception("Could not update page %s in Elasticsearch", page.pk)
        count += 1
    return count
