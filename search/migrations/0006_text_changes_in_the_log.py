"""On SQLite, a change of a page's text is written to the change log too.

Migration 0003 logs changes of ``search_searchentry`` and
``docs_library_documentaccess``, which is what the arrays in memory hold. The
FTS5 index follows ``search_searchtext`` (0001's triggers), and each process
may now keep the page ids a heavy query matches between searches
(``search.engines.sqlite``), trusted only while the log has not moved: so a
change of the text alone (raw SQL, a repair) must move the log as well, in
the same transaction. The triggers are 0003's, on the text table.
"""

from importlib import import_module

from django.db import migrations

change_log = import_module("search.migrations.0003_change_log")

TABLE = "search_searchtext"
TRIGGERS = [
    change_log.log_trigger(TABLE, "INSERT", "new"),
    change_log.log_trigger(TABLE, "DELETE", "old"),
    change_log.log_trigger(TABLE, "UPDATE", "old", "new"),
]
DROP_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {change_log.LOG}_searchtext_{event}"
    for event in ("insert", "delete", "update")
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in TRIGGERS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0005_words_and_keys_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
