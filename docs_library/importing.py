"""A batch of imported records written at once: what ``import_archive`` does per batch.

Each record ends as if an editor had uploaded its file and published it: a
live ``DocumentPage`` in the library with its file, one revision (latest and
live), the history entries "created" and "published" (the admin's History),
its access tokens (``access.refresh_tokens``), its entry in Sandyq's search
index (``search`` answers ``records_imported``), its rows in Wagtail's own
index (the admin's page search and choosers read it) and the reference from
the record to its file (the file's "Usage" in the admin).

What it leaves out is the same work done again per record: Wagtail's
``add_child``, ``save_revision`` and ``publish`` save each page three times,
and every save validated the page, re-read its tree, analysed its text twice
for two search indexes, rewrote its tokens, its references and purged the
page cache. Here rows are inserted a batch at a time in one transaction, with
the values ``DocumentPage.save`` and Wagtail's ``Page.save`` would derive;
the caller has validated each record before (``import_archive.new_record``),
and falls back to the ordinary one-record path when a batch fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelcluster.models import get_all_child_m2m_relations, get_all_child_relations
from taggit.models import Tag

from django.contrib.contenttypes.models import ContentType
from django.db import router, transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from wagtail.log_actions import get_active_log_context
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backends

from home.collation import kazakh_sort_key, natural_sort_key

from . import access
from .files.tasks import queue_extraction
from .models import DocumentPage, LibraryDocument
from .signals import records_imported


@dataclass
class Item:
    """One file of the batch: its document (file stored, row not yet) and its record."""

    path: Path
    name: str
    document: LibraryDocument
    record: DocumentPage

    def forget_file(self) -> None:
        """Delete the stored file of a document whose row was never committed."""
        for fieldfile in (self.document.file, self.document.preview):
            if fieldfile:
                fieldfile.storage.delete(fieldfile.name)


def derive_fields(record: DocumentPage, organisation) -> None:
    """What ``DocumentPage.save`` derives, for a record of ``organisation``'s library,
    except its registration number from a pattern (numbered when written)."""
    record.registration_year = record.document_date.year
    record.organisation = organisation
    record.draft_title = record.title
    record.title_sort_key = kazakh_sort_key(record.title)
    record.registration_sort_key = natural_sort_key(record.registration_number)


def write_batch(library: Page, items: list[Item], *, user=None) -> list[DocumentPage]:
    """Insert the documents and records of ``items`` under ``library``, in one transaction."""
    records = [item.record for item in items]
    documents = [item.document for item in items]
    now = timezone.now()
    page_type = ContentType.objects.get_for_model(DocumentPage)
    base_type = ContentType.objects.get_for_model(Page)
    with transaction.atomic():
        LibraryDocument.objects.bulk_create(documents)
        last = (
            Page.objects.filter(path__startswith=library.path, depth=library.depth + 1)
            .order_by("-path")
            .values_list("path", flat=True)
            .first()
        )
        position = Page._str2int(last[-Page.steplen :]) if last else 0
        for number, (record, document) in enumerate(zip(records, documents, strict=True), 1):
            # What treebeard's add_child and Wagtail's Page.save set on a new page.
            record.main_file = document
            record.depth = library.depth + 1
            record.path = Page._get_path(library.path, record.depth, position + number)
            record.numchild = 0
            record.url_path = f"{library.url_path}{record.slug}/"
            record.locale_id = library.locale_id
            record.draft_title = record.title
            # What publishing sets.
            record.live, record.has_unpublished_changes, record.expired = True, False, False
            record.first_published_at = record.last_published_at = now
            record.latest_revision_created_at = now
            record.assign_registration_number()
            record.registration_sort_key = natural_sort_key(record.registration_number)
            _relations_in_memory(record)
        insert_pages(records)
        for record in records:
            if record.tagged_items.all():  # keywords from the metadata, held in memory
                record.tagged_items.commit()
        revisions = Revision.objects.bulk_create(
            [
                Revision(
                    content_type=page_type,
                    base_content_type=base_type,
                    object_id=str(record.pk),
                    created_at=now,
                    user=user,
                    content=record.serializable_data(),
                    object_str=str(record),
                )
                for record in records
            ]
        )
        for record, revision in zip(records, revisions, strict=True):
            record.latest_revision = record.live_revision = revision
        # Each page's only revision, found by the index Wagtail keeps on revisions'
        # objects: one UPDATE, where bulk_update builds a CASE of every page.
        revision = Revision.objects.filter(
            base_content_type=base_type, object_id=Cast(OuterRef("pk"), CharField())
        ).values("pk")[:1]
        Page.objects.filter(pk__in=[record.pk for record in records]).update(
            latest_revision=Subquery(revision), live_revision=Subquery(revision)
        )
        _log(records, page_type, user, now)
        _index_references(records, page_type, base_type)
        Page.objects.filter(pk=library.pk).update(numchild=F("numchild") + len(records))
        access.refresh_tokens(records)
        records_imported.send(sender=DocumentPage, records=records)
        for document in documents:  # an imported file has no tags: Wagtail's index reads them
            document._prefetched_objects_cache = {"tags": Tag.objects.none()}
        for backend in get_search_backends(with_auto_update=True):
            backend.add_bulk(DocumentPage, records)
            backend.add_bulk(LibraryDocument, documents)
    for document in documents:
        if getattr(document, "_needs_extraction", False):
            document._needs_extraction = False
            queue_extraction(document)
    return records


def _relations_in_memory(record: DocumentPage) -> None:
    """A new record has no attachments, addressees, comments or links yet: say so in
    memory (modelcluster), so that its revision's content and its references are
    read without a query per relation and record."""
    for relation in get_all_child_relations(record):
        getattr(record, relation.get_accessor_name()).get_object_list()
    for field in get_all_child_m2m_relations(record):
        getattr(record, field.name).set([])  # held in memory until a commit


def insert_pages(records: list[DocumentPage]) -> None:
    """The page rows in one statement, then the records' own rows in another.

    Django's ``bulk_create`` refuses models with a parent table, so the record
    rows go through the manager's ``_insert``, the call ``Model.save`` itself
    ends in (one row there, a batch here).
    """
    pages = Page.objects.bulk_create(
        [
            Page(
                **{
                    field.attname: getattr(record, field.attname)
                    for field in Page._meta.concrete_fields
                }
            )
            for record in records
        ]
    )
    for record, page in zip(records, pages, strict=True):
        record.id = record.page_ptr_id = page.pk  # both: the parent link and Page.id
        record._state.adding = False
    DocumentPage._base_manager._insert(
        records,
        fields=DocumentPage._meta.local_concrete_fields,
        using=router.db_for_write(DocumentPage),
    )


def _index_references(records, page_type, base_type) -> None:
    """The records' references (to their file, their keywords) in one INSERT.

    What ``ReferenceIndex.create_or_update_for_object`` writes for an object that
    has none stored yet, without its per-record read of the stored ones and
    its INSERT per record. The references are found by Wagtail's own
    ``_extract_references_from_object``, so they are the ones it would write;
    ``test_import`` compares the two.
    """
    ReferenceIndex.objects.bulk_create(
        [
            ReferenceIndex(
                content_type=page_type,
                base_content_type=base_type,
                object_id=record.pk,
                to_content_type_id=to_content_type_id,
                to_object_id=to_object_id,
                model_path=model_path,
                content_path=content_path,
                content_path_hash=ReferenceIndex._get_content_path_hash(content_path),
            )
            for record in records
            for to_content_type_id, to_object_id, model_path, content_path in set(
                ReferenceIndex._extract_references_from_object(record)
            )
        ]
    )


def _log(records, page_type, user, now) -> None:
    """ "Created" and "published" in each record's history, as ``log()`` writes them."""
    uuid = get_active_log_context().uuid
    entries = []
    for record in records:
        common = {
            "content_type": page_type,
            "label": record.get_admin_display_title(),
            "timestamp": now,
            "user": user,
            "uuid": uuid,
            "page": record,
        }
        entries.append(PageLogEntry(action="wagtail.create", data={}, **common))
        entries.append(
            PageLogEntry(
                action="wagtail.publish",
                data={},
                revision=record.live_revision,
                content_changed=True,
                **common,
            )
        )
    PageLogEntry.objects.bulk_create(entries)
