"""Helpers for the workflow, archive and circular tests: records as editors make them."""

import datetime
import threading

from django.db import connection

from home import roles
from tests.factories import DocumentPageFactory, LibraryFactory, PrimaryFactory, UserFactory


def publish(record, user=None):
    """Publish through a revision, as the admin does (so Wagtail's signals fire)."""
    revision = record.save_revision(user=user)
    revision.publish(user=user)
    record.refresh_from_db()
    return record


def draft(library, **fields):
    fields.setdefault("access_level", "organisation")
    record = DocumentPageFactory(parent=library, live=False, **fields)
    record.save_revision()
    return record


def circular(library, *, addressing="all", level="", deadline=None, live=True, **fields):
    fields.setdefault("document_type", "circular")
    fields.setdefault("access_level", "organisation")
    fields.setdefault("acknowledgement_required", True)
    record = DocumentPageFactory(
        parent=library,
        live=False,
        addressing=addressing,
        addressed_level=level,
        response_deadline=deadline,
        **fields,
    )
    if live:
        publish(record)
    return record


def person(role=None, page=None, **fields):
    user = UserFactory(**fields)
    if role is not None:
        roles.grant(role, user, page)
    return user


def primaries(parent, count: int):
    return [PrimaryFactory(parent=parent, title=f"«Бірлік» БПҰ {n}") for n in range(count)]


def library_of(organisation, **fields):
    return LibraryFactory(parent=organisation, **fields)


def days(n: int) -> datetime.date:
    """A date ``n`` days from today, in the site's time zone (as deadlines are judged)."""
    from django.utils import timezone

    return timezone.localdate() + datetime.timedelta(days=n)


def bulk_organisations(parent, model, count: int, title: str = "«Бірлік» БПҰ"):
    """``count`` organisation pages under ``parent`` in a handful of queries.

    Made the way treebeard would place them (paths after the last child), but
    without saving each page: hundreds or thousands of organisations through
    ``add_child`` take minutes, and the scale tests and benchmarks only need
    them to exist. They get no collection and no sort key.
    """
    import uuid

    from django.contrib.contenttypes.models import ContentType
    from django.db.models import F

    from wagtail.models import Page

    parent = Page.objects.get(pk=parent.pk)
    last = parent.get_last_child()
    start = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
    content_type = ContentType.objects.get_for_model(model)
    pages = []
    for number in range(start, start + count):
        slug = f"bulk-{parent.pk}-{number}"
        pages.append(
            Page(
                path=Page._get_path(parent.path, parent.depth + 1, number),
                depth=parent.depth + 1,
                numchild=0,
                title=f"{title} {number}",
                draft_title=f"{title} {number}",
                slug=slug,
                url_path=f"{parent.url_path}{slug}/",
                content_type=content_type,
                live=True,
                has_unpublished_changes=False,
                locale_id=parent.locale_id,
                translation_key=uuid.uuid4(),
            )
        )
    Page.objects.bulk_create(pages, batch_size=500)
    fields = model._meta.local_concrete_fields
    rows = [
        model(page_ptr_id=page.pk, org_code=f"{parent.pk}-{index:05d}", name_ru=f"ППО {index}")
        for index, page in enumerate(pages)
    ]
    model.objects.all()._batched_insert(rows, fields, batch_size=None)
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + count)
    return Page.objects.filter(pk__in=[page.pk for page in pages])


def words(language: str, msgid: str, **values) -> str:
    """``msgid`` as the catalogue words it in ``language``, which must translate it."""
    from django.utils import translation

    with translation.override(language):
        translated = translation.gettext(msgid)
    assert language == "en" or translated != msgid, f"{msgid!r} has no {language} translation"
    return translated % values if values else translated


def edit_data(record, **overrides):
    """The admin's edit form for ``record``, as the browser posts it."""
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

    data = {
        "title": record.title,
        "slug": record.slug,
        "document_type": record.document_type,
        "access_level": record.access_level,
        "registration_number": "",
        "document_date": record.document_date.isoformat(),
        "language": "kk",
        "summary": record.summary,
        "main_file": "",
        "attachments": inline_formset([]),
        "addressees": inline_formset([]),
        "body": rich_text("<p>Шешімнің мәтіні</p>"),
        "keywords": "",
        "addressing": "",
        "addressed_level": "",
        "response_deadline": "",
    }
    data.update(overrides)
    return nested_form_data(data)


def at_once(calls):
    """Run each call in its own thread, all released together; (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=20)
            results[index] = call()
        except Exception as error:  # collected for the assertions
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results, errors
