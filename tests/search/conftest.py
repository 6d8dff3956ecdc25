"""A small party with documents in Kazakh, Russian and inside files, built once per module.

Building pages through Wagtail is slow, and most search tests only read, so
the corpus is made once per test module inside a transaction that is rolled
back when the module ends; each test still runs in its own savepoint (the
``db`` fixture), so a test may change or delete pages freely.

Who is who: ``anonymous``; ``outsider``, a Reader of another region;
``reader``, a Reader of the primary organisation that owns the private
records; ``admin``, a superuser. Every private record carries the word
«Ксилофонтау» (in its title, text and file), a year, a type and a language no
public record has, so a leak shows in results, snippets, facets or counts.
"""

import datetime
from types import SimpleNamespace

import pytest

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import translation

from home import roles
from tests.docs_library import samples
from tests.factories import (
    AnnouncementFactory,
    DistrictFactory,
    DocumentPageFactory,
    LibraryFactory,
    PrimaryFactory,
    RegionFactory,
    UserFactory,
    central_office,
    library_document,
)

SECRET = "Ксилофонтау"


def pdf_document(text: str, name: str = "file.pdf"):
    samples.require_font()
    return library_document(samples.kazakh_pdf(text=text), name)


def build_corpus():
    home = central_office()
    karaganda = RegionFactory(parent=home, title="Қарағанды облысы", org_code="02")
    auezov = DistrictFactory(parent=karaganda, title="Әуезов ауданы", org_code="02-05")
    igilik = PrimaryFactory(parent=auezov, title="«Игілік» БПҰ")
    almaty = RegionFactory(
        parent=home, title="Алматы қаласы", name_ru="Город Алматы", org_code="03"
    )
    almaly = DistrictFactory(parent=almaty, title="Алмалы ауданы")

    central_library = LibraryFactory(parent=home, title="Орталық құжаттар")
    karaganda_library = LibraryFactory(parent=karaganda, title="Облыс құжаттары")
    igilik_library = LibraryFactory(parent=igilik, title="Хаттамалар")
    almaty_library = LibraryFactory(parent=almaty, title="Алматы құжаттары")

    def document(parent, title, **kwargs):
        kwargs.setdefault("summary", "")
        kwargs.setdefault("language", "kk")
        return DocumentPageFactory(parent=parent, title=title, **kwargs)

    docs = SimpleNamespace()
    docs.report = document(
        karaganda_library,
        "Партиямыздың жылдық есебі",
        summary="Есеп бастауыш ұйымдарға жіберілді.",
        document_type="report",
        document_date=datetime.date(2025, 5, 10),
    )
    docs.rules = document(
        central_library,
        "Партия туралы ереже",
        summary="Партия жарғысы мен ережесі.",
        document_type="decision",
        document_date=datetime.date(2026, 2, 1),
    )
    docs.tasks = document(
        almaty_library,
        "Жиналыс шешімі",
        body="<p>Партияның алдағы міндеттері талқыланды.</p>",
        document_type="decision",
        document_date=datetime.date(2024, 9, 3),
    )
    docs.circulation = document(
        central_library,
        "Құжат айналымы туралы нұсқаулық",
        summary="Хаттарды электронды түрде құжаттап жіберу тәртібі.",
        document_type="circular",
        document_date=datetime.date(2026, 1, 15),
    )
    docs.russian = document(
        almaty_library,
        "Документ о проведении собрания",
        summary="Решение принято единогласно.",
        document_type="minutes",
        language="ru",
        document_date=datetime.date(2025, 11, 20),
    )
    docs.circular = document(
        karaganda_library,
        "Циркуляр бастауыш ұйымдарға",
        registration_number="02-05/117",
        summary="Құжат айналымын цифрландыру туралы.",
        document_type="circular",
        document_date=datetime.date(2026, 3, 2),
    )
    docs.reference = document(
        karaganda_library,
        "№ 02-05/117 циркулярды орындау туралы",
        summary="02-05/117 циркуляры бойынша 02-05/117 тапсырмалар орындалды.",
        registration_number="02-05/130",
        document_type="report",
        document_date=datetime.date(2026, 3, 20),
    )
    docs.file = document(
        central_library,
        "Кеңес хаттамасы",
        main_file=pdf_document("Өңірлік кеңес мұрағаттандыру тәртібін бекітті."),
        document_type="minutes",
        document_date=datetime.date(2026, 4, 4),
    )
    docs.secret = document(
        igilik_library,
        f"{SECRET} жабық хаттамасы",
        summary=f"Партия ұйымының {SECRET.lower()} туралы жабық шешімі.",
        body=f"<p>{SECRET}тың құпия бөлігі.</p>",
        main_file=pdf_document(f"{SECRET} файлдағы құпия мәтін.", "secret.pdf"),
        access_level="organisation",
        document_type="order",
        language="en",
        document_date=datetime.date(2019, 6, 1),
    )
    docs.members = document(
        karaganda_library,
        f"{SECRET} мүшелерге арналған хат",
        summary="Партия мүшелеріне ғана.",
        access_level="members",
        document_type="resolution",
        language="mixed",
        document_date=datetime.date(2018, 6, 1),
    )
    docs.restricted = document(
        igilik_library,
        f"{SECRET} шектеулі құжат",
        summary="Партия басшылығына ғана.",
        access_level="restricted",
        document_type="order",
        document_date=datetime.date(2019, 7, 1),
    )
    docs.draft = document(
        central_library,
        f"{SECRET} жоба",
        summary="Партия жобасы.",
        live=False,
        document_type="other",
        document_date=datetime.date(2017, 1, 1),
    )
    announcement = AnnouncementFactory(
        parent=auezov,
        title="Партиясы жаңа кеңсе ашты",
        summary="Аудандық филиал жаңа кеңсеге көшті.",
        date=datetime.date(2026, 2, 14),
    )

    reader = UserFactory(username="igilik.reader")
    roles.grant(roles.READER, reader, igilik)
    outsider = UserFactory(username="almaty.reader")
    roles.grant(roles.READER, outsider, almaty)
    admin = UserFactory(username="search.admin", is_superuser=True, is_staff=True)

    return SimpleNamespace(
        home=home,
        karaganda=karaganda,
        auezov=auezov,
        igilik=igilik,
        almaty=almaty,
        almaly=almaly,
        libraries=SimpleNamespace(
            central=central_library,
            karaganda=karaganda_library,
            igilik=igilik_library,
            almaty=almaty_library,
        ),
        docs=docs,
        announcement=announcement,
        users=SimpleNamespace(
            anonymous=AnonymousUser(), outsider=outsider, reader=reader, admin=admin
        ),
    )


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's default language and leaves the language as it was.

    A request through the test client activates its URL's language for the
    rest of the thread; labels (region names, types) depend on it.
    """
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        data = build_corpus()
        yield data
        transaction.set_rollback(True)


@pytest.fixture
def party(corpus, db):
    """The module's corpus, inside this test's own savepoint."""
    for user in (corpus.users.outsider, corpus.users.reader, corpus.users.admin):
        roles.forget(user)
    return corpus
