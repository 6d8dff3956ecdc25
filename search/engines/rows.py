"""The search app's SQL that is not a search: reading result rows and texts,
and counting and rebuilding SQLite's full-text index.

Kept beside the engines so that every statement the search app writes by hand
lives in ``search/engines/``; the service and the integrity check call these.
"""

from django.db import connection, transaction

from wagtail.models import Page

from docs_library.models import DocumentAttachment, DocumentPage, LibraryDocument
from search.models import SearchChange, SearchEntry

from .database import placeholders

#: The columns ``result_rows`` returns after the page id, in order.
RESULT_COLUMNS = (
    "kind",
    "entry_type",
    "date",
    "registration_number",
    "region_id",
    "language",
    "title",
    "url_path",
    "content_type_id",
    "summary",
    "body",
    "file_text",
)


def result_rows(page_ids) -> list[tuple]:
    """Entry, page and, for records, their text, in one statement.

    Written in SQL because it runs on every search and the ORM would spend
    longer building three queries than the database answering this one.
    """
    document, library_document = DocumentPage._meta.db_table, LibraryDocument._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.page_id, e.kind, e.entry_type, e.date, e.registration_number, "  # noqa: S608
            "e.region_id, e.language, p.title, p.url_path, p.content_type_id, "
            "d.summary, d.body, f.extracted_text "
            f"FROM {SearchEntry._meta.db_table} e "
            f"JOIN {Page._meta.db_table} p ON p.id = e.page_id "
            f"LEFT JOIN {document} d ON d.page_ptr_id = e.page_id "
            f"LEFT JOIN {library_document} f ON f.id = d.main_file_id "
            f"WHERE e.page_id IN ({placeholders(page_ids)})",
            list(page_ids),
        )
        return cursor.fetchall()


def attachment_texts(record_ids) -> list[tuple[int, str | None]]:
    """``(record id, text)`` of every attachment of these records, in their order.

    Written in SQL: search results ask for it on every search, and the ORM
    takes several times longer to build the query than the database to answer.
    """
    attachment, document = DocumentAttachment._meta.db_table, LibraryDocument._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.page_id, d.extracted_text FROM {attachment} a "  # noqa: S608 - names
            f"JOIN {document} d ON d.id = a.document_id "
            f"WHERE a.page_id IN ({placeholders(record_ids)}) "
            "ORDER BY a.page_id, a.sort_order, a.id",
            list(record_ids),
        )
        return cursor.fetchall()


def column_values(model, field_names, pks) -> list[tuple]:
    """``(pk, *values)`` of ``field_names`` for the rows ``pks`` of ``model``'s own table."""
    meta = model._meta
    columns = [meta.pk.column] + [meta.get_field(name).column for name in field_names]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {meta.db_table} "  # noqa: S608 - names
            f"WHERE {meta.pk.column} IN ({placeholders(pks)})",
            list(pks),
        )
        return cursor.fetchall()


def sqlite_full_text_rows() -> int:
    """Documents in SQLite's FTS5 index (its own count; count(*) on the FTS
    table itself would read the content table instead)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_entry_fts_docsize")
        return cursor.fetchone()[0]


def rebuild_sqlite_full_text() -> None:
    """Make SQLite's FTS5 index again from the texts it indexes.

    The change log moves with it (a row for no page), so no process keeps the
    ids a heavy query matched in the index as it was (``search.engines.sqlite``).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')")
        cursor.execute(
            f"INSERT INTO {SearchChange._meta.db_table}(page_id, stamp) VALUES (0, random())"  # noqa: S608
        )
