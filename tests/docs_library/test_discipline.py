"""The execution discipline report and the rating of primary organisations: the
figures of a constructed month with the clock frozen, the score and ranking, who
may see which subtree, the CSV, the SVG chart, and queries flat in the number of
organisations."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from docs_library.circulation import assignments, circulars, discipline
from docs_library.circulation.discipline import Figures, Period
from docs_library.models import Assignment, Distribution, Execution
from home import roles
from home.models import PrimaryOrganisationPage
from tests.docs_library.lifecycle import (
    bulk_organisations,
    circular,
    library_of,
    person,
    publish,
    words,
)
from tests.factories import DistrictFactory, DocumentPageFactory, PrimaryFactory, RegionFactory

ALMATY = ZoneInfo("Asia/Almaty")
MARCH = Period("month", 2026, 3)


def at(day: int, hour: int = 12, minute: int = 0, month: int = 3):
    """The clock stopped at ``day``.``month``.2026 ``hour``:``minute`` in Almaty."""
    moment = datetime.datetime(2026, month, day, hour, minute, tzinfo=ALMATY)
    return time_machine.travel(moment, tick=False)


def march(day: int) -> datetime.date:
    return datetime.date(2026, 3, day)


@pytest.fixture
def month(home):
    """March 2026 in Karaganda, seen on the 20th.

    A circular to acknowledge by 10 March reaches its five primary organisations
    on 2 March: «Бірінші» acknowledges on the 5th, «Шахтер» at 23:00 on the 10th
    (still the 10th in Almaty), «Екінші» on the 12th (late), «Үшінші» never
    (overdue), «Бос» never but its distribution is older (February), so March
    shows nothing due for it. An assignment issued on 3 March, due on the 15th,
    goes to the first three: «Бірінші» reports on the 14th and it is accepted,
    «Екінші» reports on the 16th (late), «Үшінші» never (overdue). One issued on
    the 18th, due on the 25th, is still open at «Бірінші». One issued in
    February does not count in March.
    """
    karaganda = RegionFactory(parent=home, title="Қарағанды облысы", name_en="Karaganda")
    district = DistrictFactory(parent=karaganda, title="Абай ауданы", name_en="Abai")
    first = PrimaryFactory(parent=district, title="«Бірінші» БПҰ", name_en="First")
    second = PrimaryFactory(parent=district, title="«Екінші» БПҰ", name_en="Second")
    third = PrimaryFactory(parent=district, title="«Үшінші» БПҰ", name_en="Third")
    empty = PrimaryFactory(parent=district, title="«Бос» БПҰ", name_en="Empty")
    direct = PrimaryFactory(parent=karaganda, title="«Шахтер» БПҰ", name_en="Miner")
    akmola = RegionFactory(parent=home, title="Ақмола облысы", name_en="Akmola")
    elsewhere = PrimaryFactory(parent=akmola, title="«Көкшетау» БПҰ")
    author = person(roles.EDITOR, karaganda, username="author")
    library = library_of(karaganda)
    members = {page.pk: person(roles.READER, page) for page in (first, second, third, direct)}

    with at(2, 9):
        record = circular(
            library,
            addressing="level",
            level="primary",
            deadline=march(10),
            title="Жиналыс туралы циркуляр",
        )
    Distribution.objects.filter(record=record, organisation=empty).update(
        created_at=datetime.datetime(2026, 2, 20, 9, tzinfo=ALMATY)
    )
    by_org = {d.organisation_id: d for d in Distribution.objects.filter(record=record)}
    with at(5):
        circulars.acknowledge(by_org[first.pk], members[first.pk])
    with at(10, 23):
        circulars.acknowledge(by_org[direct.pk], members[direct.pk])
    with at(12):
        circulars.acknowledge(by_org[second.pk], members[second.pk])

    decision = DocumentPageFactory(
        parent=library, live=False, access_level="organisation", owner=author
    )
    publish(decision)
    with at(10, month=2):
        old, _created = assignments.issue(
            decision, author, text="Ақпан", deadline=datetime.date(2026, 2, 20), executors=[second]
        )
    with at(3):
        main, _created = assignments.issue(
            decision,
            author,
            text="Хаттаманы жіберу",
            deadline=march(15),
            executors=[first, second, third],
        )
    executions = {e.organisation_id: e for e in main.executions.all()}
    with at(14):
        assignments.report(executions[first.pk], members[first.pk], "Жіберілді")
        assignments.accept(executions[first.pk], author)
    with at(16):
        assignments.report(executions[second.pk], members[second.pk], "Кеш жіберілді")
    with at(18):
        assignments.issue(
            decision, author, text="Жаңа тапсырма", deadline=march(25), executors=[first]
        )
    return {
        "home": home,
        "karaganda": karaganda,
        "district": district,
        "first": first,
        "second": second,
        "third": third,
        "empty": empty,
        "direct": direct,
        "akmola": akmola,
        "elsewhere": elsewhere,
        "author": author,
        "record": record,
        "decision": decision,
        "old": old,
    }


def figures(**numbers) -> Figures:
    return Figures(**numbers)


# --- the figures ------------------------------------------------------------------------------


def test_the_month_in_figures_with_time_frozen(month):
    result = discipline.report(month["karaganda"], MARCH, march(20))
    assert result.totals == figures(
        circulars=4,  # «Бос» received its copy in February
        acknowledged_on_time=2,
        acknowledged_late=1,
        unacknowledged_overdue=1,
        assignments=4,  # three of the 3rd and one of the 18th; February's is left out
        executed_on_time=1,
        executed_late=1,
        overdue=1,
    )
    assert result.totals.open == 1
    assert result.totals.extensions == 0  # nobody asked for a new deadline
    rows = {row.page.pk: row.figures for row in result.rows}
    assert set(rows) == {month["district"].pk, month["direct"].pk}
    assert rows[month["direct"].pk] == figures(circulars=1, acknowledged_on_time=1)
    assert rows[month["district"].pk].executed_late == 1


def test_one_reading_by_organisation_gives_the_same_report_and_rating(month):
    """The page reads the rows once for both; the CSVs read them each their own way."""
    region = month["karaganda"]
    grouped = discipline.by_organisation(region, MARCH, march(20))
    once = discipline.report(region, MARCH, march(20), grouped=grouped)
    alone = discipline.report(region, MARCH, march(20))
    assert once.totals == alone.totals
    assert [(r.page.pk, r.figures) for r in once.rows] == [
        (r.page.pk, r.figures) for r in alone.rows
    ]
    rated = discipline.rating(region, MARCH, march(20), grouped=grouped)
    assert [(i.pk, i.rank, i.figures) for i in rated] == [
        (i.pk, i.rank, i.figures) for i in discipline.rating(region, MARCH, march(20))
    ]


def test_on_the_deadline_nothing_is_overdue_yet(month):
    result = discipline.report(month["karaganda"], MARCH, march(10))
    assert result.totals.unacknowledged_overdue == 0
    assert result.totals.overdue == 0
    later = discipline.report(month["karaganda"], MARCH, march(16))
    assert later.totals.overdue == 1  # «Үшінші» (the 15th has passed; «Екінші» reported)


def test_february_counts_only_the_february_assignment(month):
    result = discipline.report(month["karaganda"], Period("month", 2026, 2), march(20))
    assert result.totals.assignments == 1
    assert result.totals.overdue == 1  # never reported, due on 20 February
    assert result.totals.circulars == 1  # «Бос»'s copy
    quarter = discipline.report(month["karaganda"], Period("quarter", 2026, 1), march(20))
    assert quarter.totals.assignments == 5
    year = discipline.report(month["karaganda"], Period("year", 2026), march(20))
    assert year.totals == quarter.totals


def test_the_periods_bounds():
    assert (Period("quarter", 2026, 4).start, Period("quarter", 2026, 4).end) == (
        datetime.date(2026, 10, 1),
        datetime.date(2027, 1, 1),
    )
    assert Period("month", 2026, 12).end == datetime.date(2027, 1, 1)
    assert Period("month", 2026, 1).shifted(-1) == Period("month", 2025, 12)
    assert Period("quarter", 2026, 4).shifted(1) == Period("quarter", 2027, 1)


# --- the score and the ranking -------------------------------------------------------------


def test_the_score_follows_the_formula():
    assert figures(acknowledged_on_time=3, executed_late=1, overdue=1).score == 70.0
    assert figures(acknowledged_late=1).score == 50.0
    assert figures(unacknowledged_overdue=2).score == 0.0
    assert figures(circulars=3, assignments=2).score is None  # nothing due yet


def test_the_ranking_of_primary_organisations(month):
    ranked = discipline.rating(month["karaganda"], MARCH, march(20), language="en")
    assert [(item.name, item.rank, item.figures.score) for item in ranked] == [
        ("First", 1, 100.0),  # two on time, the 18th's still open
        ("Miner", 2, 100.0),  # one on time: equal score, fewer due
        ("Second", 3, 50.0),  # both late
        ("Third", 4, 0.0),  # both overdue
        ("Empty", None, None),  # nothing due in March
    ]
    assert month["elsewhere"].pk not in {item.pk for item in ranked}


def test_equal_scores_and_equal_work_share_a_rank(month):
    third = month["third"]
    member = person(roles.READER, third)
    with at(20):  # «Үшінші» catches up late on both, as «Екінші» did
        assignments.report(
            Execution.objects.get(organisation=third, assignment__deadline=march(15)),
            member,
            "Кеш",
        )
        circulars.acknowledge(
            Distribution.objects.get(record=month["record"], organisation=third), member
        )
    ranked = {
        item.pk: (item.rank, item.figures.score)
        for item in discipline.rating(month["district"], MARCH, march(20))
    }
    assert ranked[month["first"].pk] == (1, 100.0)
    assert ranked[month["second"].pk] == (2, 50.0)
    assert ranked[third.pk] == (2, 50.0)  # the same score on the same work: the same rank
    assert ranked[month["empty"].pk] == (None, None)


# --- who may see it ------------------------------------------------------------------------


def url(page, query="period=month&year=2026&number=3"):
    return f"{reverse('circulars:discipline', args=[page.pk])}?{query}"


WHO_MAY_SEE = [
    (roles.MANAGER, "karaganda", "karaganda", True),
    (roles.REVIEWER, "karaganda", "karaganda", True),
    (roles.REVIEWER, "karaganda", "first", True),  # below: their subtree
    (roles.MANAGER, "district", "district", True),
    (roles.MANAGER, "district", "karaganda", False),  # above their subtree
    (roles.MANAGER, "district", "direct", False),  # a sibling of the district
    (roles.MANAGER, "akmola", "karaganda", False),  # a sibling region
    (roles.EDITOR, "karaganda", "karaganda", False),
    (roles.CONTRIBUTOR, "karaganda", "karaganda", False),
    (roles.READER, "karaganda", "karaganda", False),
    (roles.READER, "first", "first", False),
]


def test_who_may_see_the_report_by_role_and_place(client, month):
    """One tree for every case: building it is the slow part."""
    answers = []
    for role, where, target, _allowed in WHO_MAY_SEE:
        client.force_login(person(role, month[where]))
        page = client.get(url(month[target])).status_code
        export = client.get(
            reverse("circulars:discipline_csv", args=[month[target].pk]) + "?period=year&year=2026"
        ).status_code
        answers.append((role.code, where, target, page, export))
    assert answers == [
        (role.code, where, target, *(2 * [200 if allowed else 404]))
        for role, where, target, allowed in WHO_MAY_SEE
    ]


def test_signed_out_visitors_are_sent_to_sign_in(client, month):
    response = client.get(url(month["karaganda"]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_across_a_block_the_subtree_is_left_out(client, month):
    roles.set_inheritance_blocked(month["district"], True)
    manager = person(roles.MANAGER, month["karaganda"])
    client.force_login(manager)
    assert client.get(url(month["district"])).status_code == 404
    response = client.get(url(month["karaganda"]))
    assert response.status_code == 200
    result = response.context["report"]
    assert [row.page.pk for row in result.rows] == [month["direct"].pk]
    assert result.totals == figures(circulars=1, acknowledged_on_time=1)
    ranked = [item.pk for item in response.context["rating"].object_list]
    assert ranked == [month["direct"].pk]
    # The district's own manager still sees it.
    client.force_login(person(roles.MANAGER, month["district"]))
    assert client.get(url(month["district"])).status_code == 200


def test_the_index_leads_managers_to_their_report(client, month):
    client.force_login(person(roles.REVIEWER, month["district"]))
    page = client.get(reverse("circulars:index")).content.decode()
    assert reverse("circulars:discipline", args=[month["district"].pk]) in page
    client.force_login(person(roles.EDITOR, month["district"]))
    page = client.get(reverse("circulars:index")).content.decode()
    assert reverse("circulars:discipline", args=[month["district"].pk]) not in page


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_figures_formula_and_chart(client, month):
    client.force_login(person(roles.MANAGER, month["karaganda"]))
    with at(20):
        response = client.get(url(month["karaganda"]))
    page = response.content.decode()
    assert '<strong data-figure="acknowledged_late">1</strong>' in page
    assert '<strong data-figure="overdue">1</strong>' in page
    assert "<svg" in page and 'role="img"' in page
    assert page.count("<g data-bar=") == 2  # the district and «Шахтер»
    assert 'class="chart-late"' in page and 'class="chart-overdue"' in page
    assert "<script" not in page.split("<main", 1)[-1]
    assert (
        words(
            "kk", "Score = 100 × (answered on time + ½ × answered late) ÷ everything that was due."
        )
        in page
    )
    ranks = [row["data-rank"] for row in _rated_rows(page)]
    assert ranks == ["1", "2", "3", "4", ""]


def _rated_rows(page):
    import re

    return [
        {"data-rank": rank} for rank in re.findall(r'<tr data-rated="\d+" data-rank="(\d*)">', page)
    ]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_page_speaks_the_readers_language(client, month, language):
    client.force_login(person(roles.MANAGER, month["karaganda"]))
    with at(20):
        page = client.get(f"/{language}" + url(month["karaganda"])[3:]).content.decode()
    assert words(language, "Rating of primary organisations") in page
    assert words(language, "Execution discipline") in page


def test_drilling_down_to_the_documents(client, month):
    client.force_login(person(roles.MANAGER, month["karaganda"]))
    with at(20):
        response = client.get(url(month["karaganda"]) + "&show=assignments-executed_late")
    entries = response.context["documents"]["entries"]
    assert [(row.organisation_id, row.assignment.text) for row, _name in entries] == [
        (month["second"].pk, "Хаттаманы жіберу")
    ]
    assert month["decision"].url in response.content.decode()
    with at(20):
        response = client.get(url(month["karaganda"]) + "&show=circulars-unacknowledged_overdue")
    assert [row.organisation_id for row, _ in response.context["documents"]["entries"]] == [
        month["third"].pk
    ]


def test_bad_period_gets_a_translated_error_not_a_500(client, month):
    client.force_login(person(roles.MANAGER, month["karaganda"]))
    response = client.get(url(month["karaganda"], "period=quarter&year=2026&number=7"))
    assert response.status_code == 200
    assert words("kk", "A quarter is numbered 1 to 4.") in response.content.decode()
    response = client.get(url(month["karaganda"], "period=decade&year=abc"))
    assert response.status_code == 200
    assert 'data-error="year"' in response.content.decode()
    bad_csv = reverse("circulars:discipline_csv", args=[month["karaganda"].pk]) + "?period=x"
    assert client.get(bad_csv).status_code == 404


# --- CSV -------------------------------------------------------------------------------------


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_of_organisations_and_of_the_rating(client, month):
    client.force_login(person(roles.MANAGER, month["karaganda"]))
    base = reverse("circulars:discipline_csv", args=[month["karaganda"].pk])
    with at(20):
        rows = _csv(client.get("/en" + base[3:] + "?period=month&year=2026&number=3"))
        rated = _csv(client.get("/en" + base[3:] + "?period=month&year=2026&number=3&table=rating"))
    assert rows[0][:3] == ["Organisation", "Code", "Circulars received"]
    assert rows[1][0] == "Abai"
    assert rows[1][2:] == ["3", "1", "1", "1", "4", "1", "1", "1", "0", "50.0"]
    assert rows[2][0] == "Miner" and rows[2][2:] == [
        "1",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "100.0",
    ]
    assert rows[-1][0] == "Total"
    assert [(row[0], row[1], row[-1]) for row in rated[1:]] == [
        ("1", "First", "100.0"),
        ("2", "Miner", "100.0"),
        ("3", "Second", "50.0"),
        ("4", "Third", "0.0"),
        ("", "Empty", ""),
    ]


# --- scale ------------------------------------------------------------------------------------


def _many(home, count):
    """A region with ``count`` primary organisations under two districts, each with
    a circular's copy and an assignment's execution."""
    region = RegionFactory(parent=home)
    library = library_of(region)
    record = DocumentPageFactory(parent=library, access_level="organisation")
    assignment = Assignment.objects.create(
        record=record, organisation=region, text="x", deadline=march(15), issued_on=march(1)
    )
    for _half in range(2):
        district = DistrictFactory(parent=region)
        pages = bulk_organisations(district, PrimaryOrganisationPage, count // 2)
        ids = list(pages.values_list("pk", flat=True))
        Distribution.objects.bulk_create(
            [
                Distribution(
                    record=record,
                    organisation_id=pk,
                    created_at=datetime.datetime(2026, 3, 2, tzinfo=ALMATY),
                )
                for pk in ids
            ]
        )
        Execution.objects.bulk_create(
            [Execution(assignment=assignment, organisation_id=pk) for pk in ids]
        )
    return region


def test_queries_stay_flat_in_the_number_of_organisations(client, home):
    small, large = _many(home, 10), _many(home, 600)
    manager = person(roles.MANAGER, home)
    client.force_login(manager)
    counts = []
    for region in (small, large):
        client.get(url(region))  # the session and the grants, read once
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(region))
        assert response.status_code == 200
        counts.append(len(queries))
    assert response.context["report"].totals.assignments == 600
    assert response.context["rating"].paginator.count == 600
    assert counts[0] == counts[1]
