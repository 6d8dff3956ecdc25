"""load_demo: the demo party, loaded twice, is the same party."""

import pytest

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from wagtail.models import Page, TaskState, WorkflowState

from docs_library import access
from docs_library.circulation import discipline
from docs_library.models import (
    ApprovalDecision,
    ApprovalRoute,
    Assignment,
    DocumentPage,
    Execution,
    ExtensionRequest,
    JournalEntry,
)
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
        "assignments": Assignment.objects.count(),
        "executions": Execution.objects.count(),
        "extensions": ExtensionRequest.objects.count(),
        "routes": ApprovalRoute.objects.count(),
        "workflows": WorkflowState.objects.count(),
        "decisions": ApprovalDecision.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_load_demo_twice_changes_nothing(home, capsys):
    call_command("load_demo", primary_organisations=40)
    first = snapshot()
    output = capsys.readouterr().out
    call_command("load_demo", primary_organisations=40)
    assert snapshot() == first

    assert first["regions"] == 20  # 17 regions, Astana, Almaty, Shymkent
    assert first["districts"] == 14  # Almaty's 8, Astana's 5, Temirtau (circulation's demo)
    assert first["primary"] == 46  # and Temirtau's six
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
    assert set(incoming.values_list("source", flat=True)) == {
        "circular",
        "by_hand",
        "assignment",  # the central office's assignment
        "report",  # reports of Temirtau's primary organisations
    }
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


@pytest.mark.django_db(transaction=True)
def test_the_demo_shows_assignments_extensions_the_rating_and_a_route(home):
    call_command("load_demo", primary_organisations=0)
    today = timezone.localdate()
    central = Assignment.objects.get(record__title__startswith="Бастауыш партия ұйымдарын")
    states = {
        e.organisation.specific.name_en: (e.state, e.is_overdue(today), e.reported_at)
        for e in central.executions.select_related("organisation")
    }
    assert states["Karaganda Region"][0] == "accepted"
    assert states["Karaganda Region"][2].date() <= central.deadline < today  # on time
    assert states["Almaty"][0] == "reported"
    assert states["Almaty"][2].date() > central.deadline  # late
    astana = central.executions.get(organisation__regionalbranchpage__name_en="Astana")
    assert astana.extension_requests.get().state == "granted"
    assert astana.due_on > today and not astana.is_overdue(today)  # extended

    # The rating of Temirtau's primary organisations has a spread of scores.
    temirtau = DistrictBranchPage.objects.get(name_en="Temirtau City Branch")
    period = discipline.Period.containing(central.issued_on)
    scores = [item.figures.score for item in discipline.rating(temirtau, period, today)]
    assert len(scores) == 6 and len(set(scores)) >= 5
    assert max(scores) == 100 and min(scores) == 0
    figures = discipline.report(temirtau, period, today).totals
    assert figures.executed_on_time and figures.executed_late and figures.overdue
    assert figures.extensions == 1

    # A Karaganda decision waits for the secretary in step 1 of its route.
    User = get_user_model()
    record = DocumentPage.objects.get(title__contains="жастар қанатының жетекшілерін бекіту")
    task = record.current_workflow_task.specific
    assert [u.username for u in task.approvers.order_by("username")] == [
        "karaganda.legal",
        "karaganda.secretary",
    ]
    secretary = User.objects.get(username="karaganda.secretary")
    assert access.may_approve(secretary, task, record)
    assert task.get_task_states_user_can_moderate(secretary).count() == 1
    legal = User.objects.get(username="karaganda.legal")
    assert task.get_actions(record, legal) == []  # approved already
    assert record.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS
