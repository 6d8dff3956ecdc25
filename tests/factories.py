"""Factories for small trees in tests (wagtail-factories / factory-boy)."""

import datetime

import factory
import wagtail_factories

from django.contrib.auth import get_user_model

from home.models import (
    AnnouncementIndexPage,
    AnnouncementPage,
    DistrictBranchPage,
    HomePage,
    PrimaryOrganisationPage,
    RegionalBranchPage,
)


class UserFactory(factory.django.DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.kz")
    password = factory.django.Password("pass")

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)


class OrganisationFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Ұйым {n}")
    name_ru = factory.Sequence(lambda n: f"Организация {n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    org_code = factory.Sequence(lambda n: f"{n + 2:02d}")

    class Meta:
        abstract = True


class RegionFactory(OrganisationFactory):
    title = factory.Sequence(lambda n: f"Қарағанды облысы {n}")
    name_ru = factory.Sequence(lambda n: f"Карагандинская область {n}")
    name_en = factory.Sequence(lambda n: f"Karaganda Region {n}")

    class Meta:
        model = RegionalBranchPage


class DistrictFactory(OrganisationFactory):
    title = factory.Sequence(lambda n: f"Әуезов ауданы {n}")
    name_ru = factory.Sequence(lambda n: f"Ауэзовский район {n}")

    class Meta:
        model = DistrictBranchPage


class PrimaryFactory(OrganisationFactory):
    title = factory.Sequence(lambda n: f"«Игілік» БПҰ {n}")
    name_ru = factory.Sequence(lambda n: f"ППО «Игилик» {n}")

    class Meta:
        model = PrimaryOrganisationPage


class AnnouncementIndexFactory(wagtail_factories.PageFactory):
    title = "Хабарландырулар"

    class Meta:
        model = AnnouncementIndexPage


class AnnouncementFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Құжат айналымы туралы хабарландыру {n}")
    date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    summary = "Партия қағазбастылықтан құтылады."
    language = "kk"

    class Meta:
        model = AnnouncementPage


def central_office() -> HomePage:
    """The central office the migrations create (the site's root).

    A transactional test empties every table when it ends; the next one gets a
    root page, locale, root collection, central office and site made the way
    the migrations make them.
    """
    from django.conf import settings

    from wagtail.models import Collection, Locale, Page, Site

    home = HomePage.objects.first()
    if home is not None:
        return home
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(
        instance=HomePage(
            title="Орталық аппарат",
            slug="home",
            name_ru="Центральный аппарат",
            name_en="Central Office",
            org_code="01",
        )
    )
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home


class LibraryFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Құжаттар {n}")

    class Meta:
        model = "docs_library.DocumentLibraryPage"


class DocumentPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Партия шешімі {n}")
    document_type = "decision"
    document_date = datetime.date(2026, 3, 1)
    summary = "Бастауыш партия ұйымдарына арналған шешім."
    access_level = "public"

    class Meta:
        model = "docs_library.DocumentPage"


def upload(data: bytes, name: str):
    """A file as the browser would send it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def library_document(data: bytes, name: str, **kwargs):
    from docs_library.models import LibraryDocument

    return LibraryDocument.from_upload(upload(data, name), **kwargs)
