"""On PostgreSQL, GIN indexes over a text row's words and over its keys, unweighted.

The weighted ``vector`` (migration 0001) tells a title word from a text word,
but its GIN index does not: a query that names a weight (``'партия':AC``)
sends every candidate back to the row, whose vector, about 10 KB, is read
from TOAST and decompressed to test it. For a word in every document that is
the whole archive. These two indexes hold the same lexemes without weights,
words apart from keys, so a query of a word's exact form or its keys is
answered by the indexes alone and the vector is read only to rank a query
that is not heavy (``search.engines.database``, docs/search.md "Heavy words").

They are indexes over functions of the existing columns: nothing to write,
nothing a page's save must do; ``rebuild_search_index`` fills them as it
writes the rows. SQLite's FTS5 already keeps words and keys apart by column:
nothing changes there.
"""

from django.db import migrations

# Spelled out here, not imported, so this migration means the same thing for
# ever; search.engines.database.words_vector and keys_vector call them. They
# are PL/pgSQL, which the planner never inlines, with a high cost, so that it
# always asks their indexes rather than parse a candidate's text again to test
# one more word of the query (it would, with to_tsvector's own cost).
FUNCTION = """
    CREATE OR REPLACE FUNCTION {name}(title text, body text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100000 AS $$
    BEGIN
        RETURN to_tsvector('simple'::regconfig, title || ' ' || body);
    END
    $$
"""
POSTGRES_SCHEMA = [
    FUNCTION.format(name="sandyq_search_words"),
    FUNCTION.format(name="sandyq_search_keys"),
    "CREATE INDEX IF NOT EXISTS search_text_words ON search_searchtext USING gin "
    "(sandyq_search_words(title_words, text_words))",
    "CREATE INDEX IF NOT EXISTS search_text_keys ON search_searchtext USING gin "
    "(sandyq_search_keys(title_keys, text_keys))",
]
POSTGRES_UNDO = [
    "DROP INDEX IF EXISTS search_text_keys",
    "DROP INDEX IF EXISTS search_text_words",
    "DROP FUNCTION IF EXISTS sandyq_search_keys(text, text)",
    "DROP FUNCTION IF EXISTS sandyq_search_words(text, text)",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("search", "0004_access_leaves_the_full_text_index")]

    operations = [migrations.RunPython(run(POSTGRES_SCHEMA), run(POSTGRES_UNDO))]
