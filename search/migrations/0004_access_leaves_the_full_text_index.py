"""On SQLite, the access tokens leave the FTS5 index again: migration 0002 reversed.

Since migration 0003 the search reads who may open each match from arrays
kept in step with ``DocumentAccess`` by a change log (``search.columns``),
which FTS5 cannot be told without walking the doclists of the commonest
tokens on every search (docs/search.md). The fifth column and its triggers
would only cost writes, so they go; the index is 0001's again.
"""

from importlib import import_module

from django.db import migrations, models

# 0002 holds both directions: its reverse steps are this migration's forward ones.
access_index = import_module("search.migrations.0002_access_in_the_full_text_index")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_change_log")]

    # Run bottom-up when reversed, as 0002 runs forwards.
    operations = [
        migrations.RunPython(access_index.drop_new_index, access_index.forwards),
        migrations.RemoveField(model_name="searchtext", name="access"),
        migrations.RunPython(access_index.restore_old_index, migrations.RunPython.noop),
    ]
