"""On PostgreSQL, the search text's long columns live in TOAST, not in the table's own pages.

Every search reads ``search_searchtext``'s own pages to turn the GIN index's
matches into page ids (a bitmap heap scan), and a heavy query does so twice
(its matches and its exact tier). Rows smaller than 2 kB after compression
stayed in those pages, so at 100,000 documents they were 124 MB, eight rows a
page, and such a scan read all 15,881 pages (more than ``shared_buffers``, so
from the disk cache again each time). With ``toast_tuple_target`` at its
lowest, the words, keys and vector go to TOAST whenever a row is longer than
128 bytes: the table's own pages became 12 MB, and at 100,000 the first
search of the party's name went from 394 to 314 ms through the service, the
light queries' p95 from 216 to 154 ms. At 10,000, whose 13 MB fit in
``shared_buffers`` anyway, light searches are about an eighth slower (a row's
short columns are now detoasted); docs/search.md, "Answers kept on
PostgreSQL", has both runs.

Existing rows move when they are next written (``rebuild_search_index``) or
at once with ``VACUUM FULL search_searchtext``; new rows follow the setting.
"""

from django.db import migrations

TABLE = "search_searchtext"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (toast_tuple_target = 128)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (toast_tuple_target)")


class Migration(migrations.Migration):
    dependencies = [("search", "0007_committed_changes_on_postgresql")]

    operations = [migrations.RunPython(forwards, backwards)]
