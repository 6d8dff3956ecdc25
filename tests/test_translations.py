"""Every string a reader or editor sees has its Kazakh and Russian translation.

A string added to the code reaches ``locale/`` only when someone runs
``makemessages``; until then Kazakh and Russian readers see English, and a
string whose wording or context changed keeps a *fuzzy* guess, which Django
never uses. So the catalogues are made again from the code (in a copy of the
project) and nothing may come out untranslated or fuzzy.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings
from django.utils import translation

from docs_library.admin_upload import NOT_STORED
from docs_library.models import AccessLevel, DocumentType

LANGUAGES = ("kk", "ru")


@pytest.mark.skipif(
    shutil.which("msgattrib") is None, reason="needs GNU gettext (Debian's gettext package)"
)
def test_the_catalogues_translate_every_string_of_the_code(tmp_path):
    copy = tmp_path / "sandyq"
    shutil.copytree(
        Path(settings.BASE_DIR),
        copy,
        ignore=shutil.ignore_patterns(".*", "var", "media", "static", "__pycache__"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
        + [f"--locale={language}" for language in LANGUAGES],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"},
        check=True,
        capture_output=True,
    )
    missing = {}
    for language in LANGUAGES:
        catalogue = copy / "locale" / language / "LC_MESSAGES" / "django.po"
        for option in ("--untranslated", "--only-fuzzy"):
            found = subprocess.run(
                ["msgattrib", option, "--no-wrap", str(catalogue)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            strings = [s for s in re.findall(r'^msgid "(.*)"$', found, re.MULTILINE) if s]
            if strings:
                missing[f"{language} {option}"] = strings
    assert not missing, "run `manage.py makemessages` and translate: " + repr(missing)


@pytest.mark.parametrize(
    ("language", "order", "public"),
    [("kk", "Бұйрық", "Жалпыға ашық"), ("ru", "Приказ", "Публичный")],
)
def test_labels_with_a_context_are_translated(language, order, public):
    # pgettext strings: the compiled catalogue must hold them with their context.
    with translation.override(language):
        assert str(DocumentType.ORDER.label) == order
        assert str(AccessLevel.PUBLIC.label) == public
        assert str(NOT_STORED) != "The file was not stored. Put this right and upload it again:"
