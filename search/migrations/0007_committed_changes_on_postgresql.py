"""On PostgreSQL, every transaction that changes what a search reads leaves its id.

``search.engines.kept`` keeps a heavy query's answer in the shared cache,
labelled with the snapshot it was read under, and trusts it only while no
transaction outside that snapshot has committed a change of the entries,
their text or their access tokens. A sequence or a counter cannot tell that
under MVCC: a transaction that took its number earlier can commit later. A
transaction id and a snapshot can (``pg_visible_in_snapshot``).

So a statement-level trigger on each of the three tables writes the
transaction's id once (``ON CONFLICT DO NOTHING``) into
``search_committed_change``, in the same transaction as the change: raw SQL,
bulk updates, cascades and ``TRUNCATE`` included, and a rolled-back change
leaves nothing. The first write of each transaction drops the ids more than
``WINDOW`` transactions old; a label older than that is not trusted.
SQLite keeps its own change log (0003, 0006).
"""

from django.db import migrations

TABLE = "search_committed_change"
FUNCTION = "sandyq_search_committed_change"
WATCHED = ("search_searchentry", "search_searchtext", "docs_library_documentaccess")
#: Transactions an id is kept for (``search.engines.kept.WINDOW`` says the same).
WINDOW = 100_000


def trigger_name(table: str) -> str:
    return f"{table}_committed_change"


FORWARDS = [
    f"CREATE TABLE {TABLE} (xid bigint PRIMARY KEY)",
    f"""
    CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        current bigint := pg_current_xact_id()::text::bigint;
    BEGIN
        INSERT INTO {TABLE} (xid) VALUES (current) ON CONFLICT DO NOTHING;
        IF FOUND THEN
            DELETE FROM {TABLE} WHERE xid < current - {WINDOW};
        END IF;
        RETURN NULL;
    END
    $$
    """,
    *(
        f"CREATE TRIGGER {trigger_name(table)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        for table in WATCHED
    ),
]
BACKWARDS = [
    *(f"DROP TRIGGER IF EXISTS {trigger_name(table)} ON {table}" for table in WATCHED),
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0006_text_changes_in_the_log")]

    operations = [migrations.RunPython(forwards, backwards)]
