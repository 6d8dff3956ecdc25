"""On SQLite, a log of the pages whose entry or access tokens changed.

``search.columns`` holds every entry's facet, filter and access values in each
process's memory and reads this log before answering, so that no change, raw
SQL included, goes unseen: the triggers write the log in the same transaction
as the change. Each row gets a random stamp; only the newest
10,000 rows are kept. PostgreSQL's engine reads the tables at query
time and has no triggers (its table stays empty).
"""

from django.db import migrations, models

LOG = "search_searchchange"
KEPT = 10_000  # a process further behind reloads everything


def log_trigger(table: str, event: str, *rows: str) -> str:
    writes = "".join(
        f"""
        INSERT INTO {LOG}(page_id, stamp) VALUES ({row}.page_id, random());"""
        for row in rows
    )
    return f"""
    CREATE TRIGGER {LOG}_{table.split("_")[-1]}_{event.lower()} AFTER {event} ON {table}
    BEGIN{writes}
        DELETE FROM {LOG} WHERE seq <= (SELECT max(seq) FROM {LOG}) - {KEPT};
    END
    """


TABLES = ("search_searchentry", "docs_library_documentaccess")
TRIGGERS = [
    trigger
    for table in TABLES
    for trigger in (
        log_trigger(table, "INSERT", "new"),
        log_trigger(table, "DELETE", "old"),
        log_trigger(table, "UPDATE", "old", "new"),
    )
]
DROP_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {LOG}_{table.split('_')[-1]}_{event}"
    for table in TABLES
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
    dependencies = [
        ("search", "0002_access_in_the_full_text_index"),
        ("docs_library", "0005_document_sort_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchChange",
            fields=[
                ("seq", models.AutoField(primary_key=True, serialize=False)),
                ("page_id", models.IntegerField()),
                ("stamp", models.BigIntegerField()),
            ],
            options={
                "verbose_name": "search change",
                "verbose_name_plural": "search changes",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
