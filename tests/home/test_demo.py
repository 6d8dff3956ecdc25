"""load_demo: the demo party, loaded twice, is the same party."""

import pytest

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from wagtail.models import Page

from docs_library.models import JournalEntry
from home.models import (
    AnnouncementPage,
    DistrictBranchPage,
    PrimaryOrganisationPage,
    RegionalBranchPage,
)


def snapshot():
    return {
        "pages": Page.objects.count(),
        "regions": RegionalBranchPage.objects.count(),
        "districts": DistrictBranchPage.objects.count(),
        "primary": PrimaryOrganisationPage.objects.count(),
        "announcements": AnnouncementPage.objects.count(),
        "users": get_user_model().objects.count(),
        "latest": Page.objects.order_by("-pk").values_list("pk", flat=True).first(),
        "journal entries": JournalEntry.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_load_demo_twice_changes_nothing(home, capsys):
    call_command("load_demo", primary_organisations=40)
    first = snapshot()
    output = capsys.readouterr().out
    call_command("load_demo", primary_organisations=40)
    assert snapshot() == first

    assert first["regions"] == 20  # 17 regions, Astana, Almaty, Shymkent
    assert first["districts"] == 13  # Almaty's 8 and Astana's 5
    assert first["primary"] == 40
    assert "karaganda.editor" in output and "sandyq-editor" in output

    karaganda = RegionalBranchPage.objects.get(name_en="Karaganda Region")
    assert karaganda.title == "Қарағанды облысы"
    assert karaganda.name_ru == "Карагандинская область"
    almaty = RegionalBranchPage.objects.get(name_en="Almaty")
    igilik = PrimaryOrganisationPage.objects.descendant_of(almaty).filter(short_name="«Игілік»")
    assert igilik.exists()
    # Karaganda's incoming journal: the central circular the delivery registered,
    # and the letters registered by hand.
    incoming = JournalEntry.objects.filter(organisation=karaganda, kind="incoming")
    assert set(incoming.values_list("source", flat=True)) == {"circular", "by_hand"}
    assert incoming.filter(source="circular", correspondent__depth=2).exists()
    assert JournalEntry.objects.filter(kind="outgoing", organisation=karaganda).exists()
    seed = AnnouncementPage.objects.get(language="kk")
    assert "Сандық Партия" in str(seed.body)
    assert seed.translation_group().get().language == "ru"


def test_load_demo_refuses_production_settings(db, settings):
    settings.SANDYQ_ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="development or test"):
        call_command("load_demo", primary_organisations=1)
    assert not RegionalBranchPage.objects.exists()
