"""Retention rules as data, applied by ``apply_retention``; Wagtail's scheduled publishing."""

import datetime
import io

import pytest

from django.core.management import call_command
from django.utils import timezone

from wagtail.models import PageLogEntry, Revision

from docs_library.circulation.circulars import Distribution
from docs_library.lifecycle.retention import RetentionRule, ensure_default_rules
from docs_library.models import DocumentPage
from tests.docs_library.lifecycle import circular, days, library_of, words
from tests.factories import DocumentPageFactory


@pytest.fixture
def library(tree):
    ensure_default_rules()
    return library_of(tree["region"])


def published(library, *, published_days_ago=0, deadline=None, **fields):
    """A live record, saved live rather than published through a revision: the rules
    read only its dates, and six of them per test add up."""
    moment = timezone.now() - datetime.timedelta(days=published_days_ago)
    return DocumentPageFactory(
        parent=library,
        access_level="organisation",
        response_deadline=deadline,
        first_published_at=moment,
        **fields,
    )


@pytest.fixture
def records(library):
    return {
        "old_announcement": published(
            library, document_type="announcement", title="Ескі хабарландыру", published_days_ago=400
        ),
        "new_announcement": published(
            library, document_type="announcement", title="Жаңа хабарландыру", published_days_ago=30
        ),
        "closed_circular": published(
            library, document_type="circular", title="Мерзімі бұрыннан өткен", deadline=days(-100)
        ),
        "open_circular": published(
            library, document_type="circular", title="Жуырда өткен", deadline=days(-10)
        ),
        "undated_circular": published(
            library, document_type="circular", title="Мерзімсіз циркуляр", document_date=days(-200)
        ),
        "old_minutes": published(
            library,
            document_type="minutes",
            title="Бес жыл бұрынғы хаттама",
            document_date=days(-1900),
        ),
    }


DUE = {"old_announcement", "closed_circular", "undated_circular"}


def run(*args):
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def archived(records):
    return {
        name
        for name, record in records.items()
        if DocumentPage.objects.get(pk=record.pk).archived_at is not None
    }


def test_the_default_rules_are_data(library):
    rules = {rule.document_type: rule for rule in RetentionRule.objects.all()}
    assert rules["announcement"].archive_after_days == 365
    assert (rules["circular"].archive_after_days, rules["circular"].counted_from) == (
        90,
        "deadline",
    )
    assert rules["minutes"].archive_after_days is None


def test_a_dry_run_lists_what_is_due_and_changes_nothing(records):
    output = run("--dry-run")
    assert "Dry run: 3 documents would be archived" in output
    for name in DUE:
        assert records[name].title in output
    assert records["new_announcement"].title not in output
    assert archived(records) == set()


def test_a_run_archives_what_is_due_and_a_second_run_nothing(records):
    assert "Archived 3 documents." in run()
    assert archived(records) == DUE
    entries = PageLogEntry.objects.filter(action="sandyq.archive")
    assert {entry.page_id: entry.user for entry in entries} == {
        records[name].pk: None for name in DUE
    }  # the rule archived them, not a person; the rule is named in the log
    assert all(entry.data["rule"] for entry in entries)
    assert "Archived 0 documents." in run()
    assert PageLogEntry.objects.filter(action="sandyq.archive").count() == 3


def test_changing_a_rule_changes_what_is_archived(records):
    RetentionRule.objects.filter(document_type="minutes").update(archive_after_days=1000)
    RetentionRule.objects.filter(document_type="announcement").update(active=False)
    run()
    assert archived(records) == {"closed_circular", "undated_circular", "old_minutes"}


def test_applying_the_rules_as_on_a_later_day(records):
    run("--today", (timezone.localdate() + datetime.timedelta(days=90)).isoformat())
    assert archived(records) == DUE | {"open_circular"}


def test_scheduled_publishing_goes_live_and_delivers_a_circular(tree, library):
    record = circular(library, addressing="level", level="primary", live=False)
    record.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    revision = record.save_revision()
    revision.publish()
    record.refresh_from_db()
    assert not record.live and record.status_string == words("kk", "scheduled")
    # An hour later, as far as the schedule is concerned:
    revision = Revision.objects.get(pk=revision.pk)
    moment = timezone.now() - datetime.timedelta(minutes=1)
    revision.content["go_live_at"] = moment.isoformat()
    revision.approved_go_live_at = moment
    revision.save()
    call_command("publish_scheduled", stdout=io.StringIO())
    record.refresh_from_db()
    assert record.live
    delivered = Distribution.objects.filter(record=record).values_list("organisation", flat=True)
    assert list(delivered) == [tree["primary"].pk]


def test_scheduled_expiry_unpublishes(library):
    record = published(library, title="Мерзімді хабарландыру")
    DocumentPage.objects.filter(pk=record.pk).update(
        expire_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    call_command("publish_scheduled", stdout=io.StringIO())
    record.refresh_from_db()
    assert not record.live and record.expired


def test_administrators_edit_the_rules_in_the_admin(client, library):
    from django.urls import reverse

    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))
    listing = client.get(reverse("wagtailsnippets_docs_library_retentionrule:list"))
    assert listing.status_code == 200
    rule = RetentionRule.objects.get(document_type="minutes")
    edit = reverse("wagtailsnippets_docs_library_retentionrule:edit", args=[rule.pk])
    response = client.post(
        edit,
        {"document_type": "minutes", "archive_after_days": "730", "counted_from": "document_date"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.archive_after_days, rule.active) == (730, False)  # the box was left unticked
