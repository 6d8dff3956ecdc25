"""On SQLite, the access tokens of each page become a fifth column of the FTS5 index.

The search then intersects the reader's tokens with the query inside FTS5
(``… AND {access}: ("public" OR "role12" …)``) instead of probing
``DocumentAccess`` once per token and candidate (docs/search.md: the engine's
p95 at 100k documents 43.7 → 36.5 ms). The column is kept by triggers on
``docs_library_documentaccess``, in the same transaction as the tokens
themselves, so no code path can leave a stale token in the index; PostgreSQL
keeps its ``EXISTS`` and the column stays empty there.

Adding the column rebuilds ``search_searchtext`` on SQLite, which drops 0001's
triggers; they are made again here for five columns.
"""

from django.db import migrations, models

COLUMNS = "title_words, title_keys, text_words, text_keys, access"
NEW = "new.page_id, new.title_words, new.title_keys, new.text_words, new.text_keys, new.access"
OLD = "old.page_id, old.title_words, old.title_keys, old.text_words, old.text_keys, old.access"
OLD_COLUMNS = "title_words, title_keys, text_words, text_keys"
OLD_NEW = "new.page_id, new.title_words, new.title_keys, new.text_words, new.text_keys"
OLD_OLD = "old.page_id, old.title_words, old.title_keys, old.text_words, old.text_keys"


def access_of(page_id: str) -> str:
    """The page's tokens as FTS words (``role:12`` → ``role12``); pages other
    than records say ``page``: every reader may open them (only live pages are
    searched), and no record token is spelt so."""
    return f"""
        CASE WHEN (SELECT kind FROM search_searchentry WHERE page_id = {page_id}) <> 'document'
        THEN 'page'
        ELSE coalesce((
            SELECT group_concat(replace(a.token, ':', ''), ' ')
            FROM docs_library_documentaccess a WHERE a.page_id = {page_id}
        ), '') END
    """


def fts_schema(columns, new, old):
    return [
        f"""
        CREATE VIRTUAL TABLE search_entry_fts USING fts5(
            {columns},
            content='search_searchtext', content_rowid='page_id',
            tokenize='unicode61 remove_diacritics 0'
        )
        """,
        f"""
        CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_searchtext
        BEGIN
            INSERT INTO search_entry_fts(rowid, {columns}) VALUES ({new});
        END
        """,
        f"""
        CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_searchtext
        BEGIN
            INSERT INTO search_entry_fts(search_entry_fts, rowid, {columns})
            VALUES ('delete', {old});
        END
        """,
        f"""
        CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_searchtext
        BEGIN
            INSERT INTO search_entry_fts(search_entry_fts, rowid, {columns})
            VALUES ('delete', {old});
            INSERT INTO search_entry_fts(rowid, {columns}) VALUES ({new});
        END
        """,
        "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
    ]


DROP_FTS = [
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TABLE IF EXISTS search_entry_fts",
]
def refresh_access(row: str) -> str:
    """Rewrite the access words of the page of a DocumentAccess row (``new``/``old``)."""
    return f"""
        UPDATE search_searchtext SET access = {access_of(f"{row}.page_id")}
        WHERE page_id = {row}.page_id;"""


def access_trigger(event: str, *rows: str) -> str:
    return f"""
    CREATE TRIGGER search_access_{event.lower()} AFTER {event} ON docs_library_documentaccess
    BEGIN{"".join(refresh_access(row) for row in rows)}
    END
    """


ACCESS_TRIGGERS = [
    access_trigger("INSERT", "new"),
    access_trigger("DELETE", "old"),
    access_trigger("UPDATE", "old", "new"),
]
DROP_ACCESS_TRIGGERS = [
    "DROP TRIGGER IF EXISTS search_access_update",
    "DROP TRIGGER IF EXISTS search_access_delete",
    "DROP TRIGGER IF EXISTS search_access_insert",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in [
        *DROP_FTS,
        f"UPDATE search_searchtext SET access = {access_of('search_searchtext.page_id')}",
        *fts_schema(COLUMNS, NEW, OLD),
        *ACCESS_TRIGGERS,
    ]:
        schema_editor.execute(statement)


def drop_new_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*DROP_ACCESS_TRIGGERS, *DROP_FTS]:
            schema_editor.execute(statement)


def restore_old_index(apps, schema_editor):
    """After the column is gone (which rebuilds the table): 0001's index again."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*DROP_FTS, *fts_schema(OLD_COLUMNS, OLD_NEW, OLD_OLD)]:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("docs_library", "0005_document_sort_keys"),
    ]

    # Reversed, these run bottom-up: the new index goes, the column goes (the
    # table is rebuilt without triggers), then 0001's index is made again.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_old_index),
        migrations.AddField(
            model_name="searchtext",
            name="access",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(forwards, drop_new_index),
    ]
