"""Circulars: who receives them, who may read them, acknowledging, inboxes, dashboards."""

import csv
import io
import threading

import pytest

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from docs_library import access
from docs_library.circulation import circulars
from docs_library.circulation.circulars import Acknowledgement, Distribution
from home import roles
from home.models import PrimaryOrganisationPage
from tests.docs_library.lifecycle import (
    bulk_organisations,
    circular,
    days,
    library_of,
    person,
    primaries,
    publish,
)
from tests.factories import DistrictFactory, PrimaryFactory, RegionFactory


@pytest.fixture
def party(home):
    """Karaganda (a district with two primaries, one primary of its own) and Akmola."""
    karaganda = RegionFactory(parent=home, title="Қарағанды облысы", name_en="Karaganda")
    district = DistrictFactory(parent=karaganda, title="Абай ауданы")
    inner = primaries(district, 2)
    direct = PrimaryFactory(parent=karaganda, title="«Шахтер» БПҰ")
    akmola = RegionFactory(parent=home, title="Ақмола облысы", name_en="Akmola")
    elsewhere = PrimaryFactory(parent=akmola, title="«Көкшетау» БПҰ")
    return {
        "home": home,
        "karaganda": karaganda,
        "district": district,
        "primaries": [*inner, direct],
        "akmola": akmola,
        "elsewhere": elsewhere,
        "library": library_of(karaganda, title="Облыс құжаттары"),
        "central_library": library_of(home, title="Орталық құжаттар"),
    }


def received_by(record):
    return set(Distribution.objects.filter(record=record).values_list("organisation_id", flat=True))


def test_a_circular_reaches_the_addressed_level_below_its_organisation_and_nothing_else(party):
    record = circular(party["library"], addressing="level", level="primary")
    assert received_by(record) == {page.pk for page in party["primaries"]}


def test_addressed_to_all_it_reaches_every_organisation_below(party):
    record = circular(party["library"], addressing="all")
    assert received_by(record) == {party["district"].pk, *(p.pk for p in party["primaries"])}


def test_a_central_circular_to_the_regions(party):
    record = circular(party["central_library"], addressing="level", level="region")
    assert received_by(record) == {party["karaganda"].pk, party["akmola"].pk}


def test_a_chosen_list_is_kept_to_organisations_below(party):
    record = circular(party["library"], addressing="chosen", live=False)
    chosen = party["primaries"][0]
    record.addressees.create(organisation=chosen)
    record.addressees.create(organisation=party["elsewhere"])  # not below Karaganda
    publish(record)
    assert received_by(record) == {chosen.pk}


def test_documents_of_other_types_or_unaddressed_are_not_distributed(party):
    minutes = circular(party["library"], document_type="minutes")
    plain = circular(party["library"], addressing="")
    assert not Distribution.objects.filter(record__in=[minutes, plain]).exists()


def test_publishing_again_creates_no_duplicates(party):
    record = circular(party["library"], addressing="level", level="primary")
    first = set(Distribution.objects.filter(record=record).values_list("pk", flat=True))
    publish(record)
    publish(record)
    assert set(Distribution.objects.filter(record=record).values_list("pk", flat=True)) == first


def test_narrowing_the_address_list_keeps_organisations_that_acknowledged(party):
    record = circular(party["library"], addressing="level", level="primary")
    acknowledged, dropped, _other = party["primaries"]
    member = person(roles.READER, acknowledged)
    circulars.acknowledge(
        Distribution.objects.get(record=record, organisation=acknowledged), member
    )

    record.addressing = "chosen"
    record.addressees.create(organisation=party["primaries"][2])
    publish(record)
    assert received_by(record) == {acknowledged.pk, party["primaries"][2].pk}
    assert dropped.pk not in received_by(record)


def test_distributing_to_500_organisations_takes_as_many_queries_as_to_20(home):
    region = RegionFactory(parent=home)
    library = library_of(region)
    few_parent, many_parent = DistrictFactory(parent=region), DistrictFactory(parent=region)
    bulk_organisations(few_parent, PrimaryOrganisationPage, 20)
    bulk_organisations(many_parent, PrimaryOrganisationPage, 500)
    few = circular(library, addressing="chosen", live=False)
    few.addressees.create(organisation=few_parent)
    many = circular(library, addressing="level", level="primary", live=False)
    for record in (few, many):  # published without the task, to count its queries alone
        record.live = True
        record.save()

    counts = []
    for record, expected in ((few, 1), (many, 520)):
        with CaptureQueriesContext(connection) as queries:
            created = circulars.create_distributions(record)
        assert created == expected
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3
    assert Distribution.objects.filter(record=many).count() == 520


def test_the_access_tokens_of_a_circular_to_520_organisations_cost_as_many_queries_as_to_20(
    home,
):
    region = RegionFactory(parent=home)
    library = library_of(region)
    few_parent, many_parent = DistrictFactory(parent=region), DistrictFactory(parent=region)
    few_organisations = bulk_organisations(few_parent, PrimaryOrganisationPage, 20)
    many_organisations = bulk_organisations(many_parent, PrimaryOrganisationPage, 500)
    roles.set_inheritance_blocked(many_parent, True)
    few = circular(library, addressing="chosen", live=False)
    for organisation in few_organisations:
        few.addressees.create(organisation=organisation)
    many = circular(library, addressing="level", level="primary", live=False)
    counts = {}
    for record in (few, many):
        record.live = True
        record.save()
        circulars.create_distributions(record)
        with CaptureQueriesContext(connection) as queries:
            tokens = access.record_tokens(record)
        counts[record.pk] = len(queries)
    assert counts[few.pk] == counts[many.pk]
    # every addressed organisation's own holders, and those of the pages above it
    # up to a block: the blocked district stops the region's readers there
    assert {f"role:{organisation.pk}" for organisation in many_organisations} <= tokens
    assert f"role:{many_parent.pk}" in tokens


def test_addressed_organisations_people_may_read_an_organisation_level_circular(party):
    addressed, _, _ = party["primaries"]
    member = person(roles.READER, addressed)
    stranger = person(roles.READER, party["elsewhere"])
    record = circular(party["library"], addressing="chosen", live=False)
    assert not access.can_view(member, record)
    record.addressees.create(organisation=addressed)
    publish(record)
    assert access.can_view(member, record)
    assert not access.can_view(stranger, record)


def test_acknowledging_twice_keeps_one_record_and_the_first_time(party, client):
    primary = party["primaries"][0]
    member = person(roles.READER, primary)
    record = circular(party["library"], addressing="level", level="primary")
    distribution = Distribution.objects.get(record=record, organisation=primary)
    client.force_login(member)
    url = reverse("circulars:acknowledge", args=[distribution.pk])
    first = client.post(url, {"comment": "Танысып шықтым"})
    assert first.status_code == 302
    client.post(url, {"comment": "Тағы да"})
    ack = Acknowledgement.objects.get()
    assert ack.comment == "Танысып шықтым"
    distribution.refresh_from_db()
    assert distribution.acknowledged_at == ack.created_at
    assert distribution.acknowledged_by == member


def test_people_without_a_role_there_cannot_acknowledge(party, client):
    primary = party["primaries"][0]
    record = circular(party["library"], addressing="level", level="primary")
    distribution = Distribution.objects.get(record=record, organisation=primary)
    client.force_login(person(roles.READER, party["primaries"][1]))
    response = client.post(reverse("circulars:acknowledge", args=[distribution.pk]))
    assert response.status_code == 404
    assert not Acknowledgement.objects.exists()


def test_the_database_refuses_a_second_acknowledgement_by_the_same_person(party):
    from django.db import IntegrityError, transaction

    primary = party["primaries"][0]
    member = person(roles.READER, primary)
    record = circular(party["library"], addressing="level", level="primary")
    distribution = Distribution.objects.get(record=record, organisation=primary)
    Acknowledgement.objects.create(record=record, distribution=distribution, user=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Acknowledgement.objects.create(record=record, distribution=distribution, user=member)


def _at_once(calls):
    """Run the calls in threads released together; each thread closes its connection."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_acknowledgements_leave_one_record_per_person(home):
    region = RegionFactory(parent=home)
    primary = PrimaryFactory(parent=region)
    library = library_of(region)
    first, second = person(roles.READER, primary), person(roles.READER, primary)
    record = circular(library, addressing="level", level="primary")
    distribution = Distribution.objects.get(record=record)

    same_person = _at_once([lambda: circulars.acknowledge(distribution, first)] * 2)
    assert sorted(created for _ack, created in same_person) == [False, True]
    assert Acknowledgement.objects.filter(user=first).count() == 1

    two_people = _at_once(
        [lambda: circulars.acknowledge(distribution, second)] * 2
        + [lambda: circulars.acknowledge(distribution, first)]
    )
    assert sum(created for _ack, created in two_people) == 1
    assert Acknowledgement.objects.count() == 2
    distribution.refresh_from_db()
    earliest = Acknowledgement.objects.order_by("created_at").first()
    assert distribution.acknowledged_at == earliest.created_at
    assert distribution.acknowledged_by_id == earliest.user_id


def test_the_inbox_lists_circulars_newest_first_with_status_and_deadline(party, client):
    primary = party["primaries"][0]
    member = person(roles.READER, primary)
    older = circular(party["library"], title="Ескі циркуляр", addressing="all", deadline=days(-3))
    newer = circular(
        party["central_library"], title="Жаңа циркуляр", addressing="all", deadline=days(7)
    )
    hidden = circular(
        party["library"], title="Жабық циркуляр", addressing="all", access_level="restricted"
    )
    client.force_login(member)
    with translation.override("en"):
        response = client.get(reverse("circulars:inbox", args=[primary.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Жаңа циркуляр") < html.index("Ескі циркуляр")
    assert "Overdue" in html and "Pending" in html
    assert days(7).strftime("%d.%m.%Y") in html
    assert hidden.title not in html  # received, but not for this person's eyes
    assert older and newer


def test_an_inbox_is_for_people_with_a_role_there(party, client):
    client.force_login(person(roles.READER, party["elsewhere"]))
    response = client.get(reverse("circulars:inbox", args=[party["primaries"][0].pk]))
    assert response.status_code == 404


def test_the_record_page_offers_to_acknowledge_in_the_readers_language(party, client):
    primary = party["primaries"][0]
    member = person(roles.READER, primary)
    record = circular(party["library"], addressing="level", level="primary")
    client.force_login(member)
    pages = {}
    for language in ("kk", "ru"):
        with translation.override(language):
            pages[language] = client.get(record.get_url()).content.decode()
    assert "Таныстым" in pages["kk"]
    assert "Ознакомлен" in pages["ru"]


def _ack(record, organisation, **user_fields):
    user = person(roles.READER, organisation, **user_fields)
    circulars.acknowledge(Distribution.objects.get(record=record, organisation=organisation), user)
    return user


def test_the_dashboard_counts_acknowledged_pending_and_overdue_with_drill_down(party, client):
    editor = person(roles.EDITOR, party["karaganda"])
    record = circular(party["library"], addressing="all", deadline=days(-1))
    _ack(record, party["primaries"][0], first_name="Әсел", last_name="Нұрова")
    _ack(record, party["primaries"][2])
    client.force_login(editor)
    url = reverse("circulars:dashboard", args=[record.pk])
    response = client.get(url)
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals == {"total": 4, "acknowledged": 2, "pending": 0, "overdue": 2}
    branches = {row["page"].pk: row for row in response.context["branches"]}
    assert branches[party["district"].pk]["total"] == 3
    assert branches[party["district"].pk]["acknowledged"] == 1
    assert "Әсел Нұрова" in response.content.decode()

    drilled = client.get(url, {"node": party["district"].pk})
    assert drilled.context["totals"] == {"total": 3, "acknowledged": 1, "pending": 0, "overdue": 2}
    overdue_only = client.get(url, {"status": "overdue"})
    assert {row["organisation"].pk for row in overdue_only.context["described"]} == {
        party["district"].pk,
        party["primaries"][1].pk,
    }


def test_the_dashboard_is_for_the_issuing_organisation_only(party, client):
    record = circular(party["library"], addressing="all")
    client.force_login(person(roles.READER, party["karaganda"]))
    assert client.get(reverse("circulars:dashboard", args=[record.pk])).status_code == 404
    client.force_login(person(roles.EDITOR, party["akmola"]))
    assert client.get(reverse("circulars:dashboard", args=[record.pk])).status_code == 404


def test_the_csv_lists_every_organisation_with_who_acknowledged(party, client):
    editor = person(roles.EDITOR, party["karaganda"])
    record = circular(party["library"], addressing="level", level="primary")
    _ack(record, party["primaries"][1], username="hatshy")
    client.force_login(editor)
    response = client.get(reverse("circulars:dashboard_csv", args=[record.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 3
    by_name = {row[2]: row for row in rows[1:]}
    acknowledged = by_name[party["primaries"][1].title]
    assert acknowledged[1] == party["district"].title  # its district
    assert "hatshy" in acknowledged[6]
    assert sum(1 for row in rows[1:] if row[6] == "") == 2


def test_remind_overdue_mails_only_the_staff_of_organisations_that_have_not_acknowledged(
    party, client
):
    editor = person(roles.EDITOR, party["karaganda"])
    record = circular(party["library"], addressing="level", level="primary", deadline=days(-2))
    done, late, later = party["primaries"]
    _ack(record, done, email="done@example.kz")
    late_secretary = person(roles.READER, late, email="late@example.kz")
    later_secretary = person(roles.READER, later, email="later@example.kz")
    mail.outbox.clear()
    client.force_login(editor)
    response = client.post(reverse("circulars:remind", args=[record.pk]))
    assert response.status_code == 302
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [late_secretary.email, later_secretary.email]
    )


def test_the_editor_addresses_only_circulars_and_only_below_their_organisation(party, client):
    from wagtail.test.utils.form_data import inline_formset

    from tests.docs_library.lifecycle import draft, edit_data

    editor = person(roles.EDITOR, party["karaganda"])
    client.force_login(editor)
    minutes = draft(party["library"], document_type="minutes")
    url = reverse("wagtailadmin_pages:edit", args=[minutes.pk])
    response = client.post(url, edit_data(minutes, addressing="all"))
    assert "addressing" in response.context["form"].errors

    record = draft(party["library"], document_type="circular")
    url = reverse("wagtailadmin_pages:edit", args=[record.pk])
    outside = edit_data(
        record,
        addressing="chosen",
        addressees=inline_formset([{"organisation": party["elsewhere"].pk}]),
    )
    assert "addressing" in client.post(url, outside).context["form"].errors
    inside = edit_data(
        record,
        addressing="chosen",
        addressees=inline_formset([{"organisation": party["primaries"][0].pk}]),
        response_deadline=days(10).isoformat(),
        acknowledgement_required="on",
    )
    assert client.post(url, inside).status_code == 302
    record.refresh_from_db()
    revision = record.get_latest_revision().as_object()
    assert [row.organisation_id for row in revision.addressees.all()] == [party["primaries"][0].pk]
    assert revision.acknowledgement_required and revision.response_deadline == days(10)
