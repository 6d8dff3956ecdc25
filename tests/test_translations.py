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

from docs_library.admin.upload import NOT_STORED
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


# --- the admin in Kazakh: Wagtail's and Django's own messages ------------------------------

#: Django's own catalogues whose Kazakh is incomplete and which editors meet
#: (form validation, dates, sign-in and passwords).
DJANGO_CATALOGUES = ("django.conf", "django.contrib.auth")


def _source_catalogue(package: str, domain: str = "django") -> list:
    """The keys (as in a compiled catalogue) of the messages a package ships,
    read from its English ``.po`` (its ``.mo`` leaves every message out)."""
    import ast
    import importlib

    module = importlib.import_module(package)
    path = Path(module.__file__).parent / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return []
    keys, entry, field = [], {}, None

    def close():
        if entry.get("msgid"):
            context = entry.get("msgctxt")
            msgid = f"{context}\x04{entry['msgid']}" if context is not None else entry["msgid"]
            keys.append((msgid, 0) if "msgid_plural" in entry else msgid)

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#~"):
            continue
        if not line.strip():
            close()
            entry, field = {}, None
        elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ")):
            field, _, text = line.partition(" ")
            entry[field] = ast.literal_eval(text)
        elif line.startswith("msgstr"):
            field = None
        elif line.startswith('"') and field:
            entry[field] += ast.literal_eval(line)
    return keys


def _admin_packages():
    return [app for app in settings.INSTALLED_APPS if app.startswith("wagtail")]


def _untranslated(catalogue: dict, domain: str) -> list:
    from django.utils.translation.trans_real import DjangoTranslation

    if domain == "django":
        kazakh = translation.trans_real.translation("kk")._catalog
    else:
        paths = [Path(settings.BASE_DIR) / "vendor_locale"]
        kazakh = DjangoTranslation("kk", domain=domain, localedirs=[str(p) for p in paths])._catalog
    missing = []
    for key in catalogue:
        value = kazakh.get(key)
        if not value or not str(value).strip():
            missing.append(key)
    return missing


def test_every_wagtail_admin_message_has_its_kazakh():
    """Wagtail ships no Kazakh: vendor_locale/kk carries every message of the apps in use."""
    missing = {}
    for package in _admin_packages():
        for domain in ("django", "djangojs"):
            if gaps := _untranslated(_source_catalogue(package, domain), domain):
                missing[f"{package} ({domain})"] = gaps[:5]
    assert not missing, f"untranslated in Kazakh: {missing}"


def test_djangos_own_messages_have_their_kazakh():
    missing = {}
    for package in DJANGO_CATALOGUES:
        if gaps := _untranslated(_source_catalogue(package), "django"):
            missing[package] = gaps[:5]
    assert not missing, f"untranslated in Kazakh: {missing}"


def test_wagtails_labels_read_in_kazakh():
    # Not written as gettext("…") literals: makemessages would take them as Sandyq's own.
    kazakh = {
        "Dashboard": "Басқару тақтасы",
        "Save draft": "Жобаны сақтау",
        "Pages": "Беттер",
    }
    approve_and_publish = "%(label)s and Publish"  # the workflow's button: "Мақұлдау and Publish"
    with translation.override("kk"):
        for english, expected in kazakh.items():
            assert translation.gettext(english) == expected
        publish = translation.gettext(approve_and_publish) % {"label": "Мақұлдау"}
        assert "Publish" not in publish and "Мақұлдау" in publish
