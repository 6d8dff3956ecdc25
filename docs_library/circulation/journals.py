"""Registration journals: numbering, automatic registration, registration by hand,
and the journal's rows as a person may read them.

Numbers come from a ``JournalCounter`` row per organisation, journal and year:
``UPDATE … SET last_value = last_value + 1 … RETURNING`` takes the row's lock
(PostgreSQL) or the database's write lock (SQLite, whose transactions here
begin IMMEDIATE), so parallel registrations queue and each gets its own
number. The counter moves in the same transaction as the entry it numbers: a
registration that fails gives its number back. A number someone typed by hand
that the counter then reaches is taken already; the entry takes the next.

A circular to ten thousand organisations is registered in each one's incoming
journal by a fixed handful of statements whatever their number: the rows go
to the database as one JSON parameter and are inserted by one ``INSERT …
SELECT`` (``bulk_create`` would send batches of 66 rows on SQLite).
"""

import json
import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail.models import Page

from home.models import organisation_page_models

from ..models import (
    JOURNAL_CODES,
    Distribution,
    DocumentPage,
    EntrySource,
    JournalCounter,
    JournalEntry,
    JournalKind,
    unit_of,
)

# How many times a registration takes a further number when the one it got was
# typed by hand already (each round skips every such number it met).
ROUNDS = 20
DEFAULT_PATTERN = "{type_code}/{seq}"
DEFAULT_PATTERN_WITH_CODE = "{org_code}-{type_code}/{seq}"


# --- numbers ---------------------------------------------------------------------------------


def journal_pattern(registration_pattern: str, org_code: str) -> str:
    """The organisation's registration pattern, or the default; always with ``{seq}``,
    so that two entries of a journal and year never share a number."""
    pattern = registration_pattern or (DEFAULT_PATTERN_WITH_CODE if org_code else DEFAULT_PATTERN)
    try:
        fields = {field for _t, field, _s, _c in string.Formatter().parse(pattern) if field}
    except ValueError:
        return DEFAULT_PATTERN_WITH_CODE if org_code else DEFAULT_PATTERN
    return pattern if "seq" in fields else f"{pattern}/{{seq}}"


def format_number(pattern: str, org_code: str, kind: str, year: int, seq: int) -> str:
    try:
        number = pattern.format_map(
            {"org_code": org_code, "type_code": JOURNAL_CODES[kind], "year": year, "seq": seq}
        )
    except (KeyError, ValueError, IndexError, AttributeError):
        number = DEFAULT_PATTERN.format(type_code=JOURNAL_CODES[kind], seq=seq)
    return number[:50]


def _numbering(organisation_ids) -> dict[int, str]:
    """Each organisation's journal pattern, with its code filled in:
    one query per organisation type, whatever the number of organisations."""
    patterns = {}
    for model in organisation_page_models():
        rows = model.objects.filter(pk__in=organisation_ids).values_list(
            "pk", "org_code", "registration_pattern"
        )
        for pk, code, pattern in rows:
            patterns[pk] = (journal_pattern(pattern, code), code)
    return patterns


# --- rows as one JSON parameter ------------------------------------------------------------


def _json_rows(columns) -> str:
    """A FROM-clause item reading ``rows`` from one JSON parameter: a list of
    objects with these ``(name, sql type)`` columns."""
    if connection.vendor == "postgresql":
        declared = ", ".join(f"{name} {kind}" for name, kind in columns)
        return f"json_to_recordset(%s::json) AS rows({declared})"
    selected = ", ".join(f"json_extract(value, '$.{name}') AS {name}" for name, _kind in columns)
    return f"(SELECT {selected} FROM json_each(%s)) AS rows"  # noqa: S608 - our own names


def _placeholder(field) -> str:
    """A parameter in a SELECT list: PostgreSQL reads an untyped one as text."""
    if connection.vendor == "postgresql":
        return f"CAST(%s AS {field.db_type(connection)})"
    return "%s"


def _allocate(kind: str, year: int, organisation_ids: list[int]) -> dict[int, int]:
    """Take the next number of ``kind``'s journal in ``year`` for each organisation.

    Must run inside the transaction that writes the entries. Three statements on
    PostgreSQL (create missing counters, lock them in one order so that two
    bulk registrations cannot deadlock, move them), two on SQLite.
    """
    if not organisation_ids:
        return {}
    quote = connection.ops.quote_name
    table = quote(JournalCounter._meta.db_table)
    ids = json.dumps([{"o": pk} for pk in organisation_ids])
    source = _json_rows([("o", "bigint")])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, kind, year, last_value) "  # noqa: S608
            f"SELECT rows.o, %s, {_placeholder(JournalCounter._meta.get_field('year'))}, 0 "
            f"FROM {source} WHERE 1 = 1 "
            "ON CONFLICT (organisation_id, kind, year) DO NOTHING",
            [kind, year, ids],
        )
        if connection.vendor == "postgresql":
            # An array, not the JSON again: PostgreSQL guesses a function's rows at
            # 100 and would read the JSON once per counter (seconds at 10,000).
            chosen, chosen_ids = "organisation_id = ANY(%s)", list(organisation_ids)
            cursor.execute(
                f"SELECT id FROM {table} WHERE kind = %s AND year = %s AND {chosen} "  # noqa: S608
                "ORDER BY organisation_id FOR UPDATE",
                [kind, year, chosen_ids],
            )
        else:
            chosen, chosen_ids = f"organisation_id IN (SELECT rows.o FROM {source})", ids  # noqa: S608
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + 1 "  # noqa: S608
            f"WHERE kind = %s AND year = %s AND {chosen} "
            "RETURNING organisation_id, last_value",
            [kind, year, chosen_ids],
        )
        return dict(cursor.fetchall())


def _insert(rows: list[dict], common: dict) -> dict[int, int]:
    """Insert one entry per row (``o`` organisation, ``s`` sequence, ``n`` number,
    ``k`` search text) with the ``common`` fields; the new entries' ids by
    organisation. A number already in the journal (typed by hand) leaves its row out."""
    quote = connection.ops.quote_name
    fields = {field.name: field for field in JournalEntry._meta.concrete_fields}
    names = list(common)
    columns = ", ".join(
        quote(fields[name].column)
        for name in ["organisation", "sequence", "number", "search_text", *names]
    )
    values = [
        fields[name].get_db_prep_save(getattr(value, "pk", value), connection)
        for name, value in common.items()
    ]
    placeholders = ", ".join(_placeholder(fields[name]) for name in names)
    source = _json_rows([("o", "bigint"), ("s", "integer"), ("n", "text"), ("k", "text")])
    sql = (
        f"INSERT INTO {quote(JournalEntry._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT rows.o, rows.s, rows.n, rows.k, {placeholders} FROM {source} WHERE 1 = 1 "
        "ON CONFLICT (organisation_id, kind, year, number) DO NOTHING "
        "RETURNING organisation_id, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, json.dumps(rows, ensure_ascii=False)])
        return dict(cursor.fetchall())


def register_many(organisation_ids, kind: str, *, title: str, on=None, **fields) -> dict[int, int]:
    """Register one document in ``kind``'s journal of each organisation; the new
    entries' ids by organisation.

    ``organisation_ids``: a list of page ids or a queryset of them. The
    entries share every field but the organisation and the number.
    """
    on = on or timezone.localdate()
    year = on.year
    correspondent_name = fields.get("correspondent_name", "")
    common = {
        "kind": kind,
        "year": year,
        "registered_on": on,
        "registered_at": timezone.now(),
        "title": title[:255],
        "correspondent_name": "",
        "correspondent_number": "",
        "note": "",
        **fields,
    }
    with transaction.atomic():
        numbering = _numbering(organisation_ids)
        waiting = sorted(numbering)
        registered = {}
        for _round in range(ROUNDS):
            if not waiting:
                break
            sequences = _allocate(kind, year, waiting)
            rows = []
            for pk in waiting:
                pattern, code = numbering[pk]
                number = format_number(pattern, code, kind, year, sequences[pk])
                key = JournalEntry.search_key(number, title, correspondent_name)
                rows.append({"o": pk, "s": sequences[pk], "n": number, "k": key})
            inserted = _insert(rows, common)
            registered.update(inserted)
            waiting = [pk for pk in waiting if pk not in inserted]
        if waiting:
            raise IntegrityError("journal numbers exhausted by numbers typed by hand")
    return registered


# --- automatic registration ----------------------------------------------------------------


def _sender(record_or_assignment_organisation):
    page = record_or_assignment_organisation
    return page.specific if page is not None else None


#: How many addressees an outgoing entry names before it counts the rest.
ADDRESSEES_NAMED = 3
CORRESPONDENT_LENGTH = 255


def addressees(receiver_ids) -> tuple[Page | None, str]:
    """The addressee of an outgoing circular as its journal entry keeps it: the page
    when there is one, and the names (as they were, like a sender's), the first few
    in tree order and then how many more, in the site's language like the rest of
    the journal ("«Бірлік» БПҰ; «Береке» БПҰ және тағы 58 ұйым")."""
    total = Page.objects.filter(pk__in=receiver_ids).count()
    first = list(Page.objects.filter(pk__in=receiver_ids).order_by("path")[:ADDRESSEES_NAMED])
    if not first:
        return None, ""
    names = [page.title for page in first]
    rest = total - len(names)
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            text = "; ".join(names)
            if rest:
                more = ngettext(
                    "%(names)s and %(count)s more organisation",
                    "%(names)s and %(count)s more organisations",
                    rest,
                )
                text = more % {"names": text, "count": rest}
            if len(text) <= CORRESPONDENT_LENGTH or len(names) == 1:
                break
            names.pop()
            rest += 1
    return (first[0] if total == 1 else None), text[:CORRESPONDENT_LENGTH]


def register_circular(record) -> int:
    """A published circular: the sender's outgoing journal, and the incoming journal of
    each organisation it was distributed to. Idempotent: publishing again registers
    only the organisations that are new."""
    sender = _sender(record.organisation)
    if sender is None:
        return 0
    with transaction.atomic():
        # One delivery of a circular at a time: a second waits here and then finds
        # the entries the first made (a row lock on PostgreSQL; SQLite has one writer).
        DocumentPage.objects.select_for_update().filter(pk=record.pk).values_list("pk").first()
        registered = 0
        outgoing = JournalEntry.objects.filter(
            organisation_id=sender.pk,
            kind=JournalKind.OUTGOING,
            record=record,
            source=EntrySource.CIRCULAR,
        )
        if not outgoing.exists():
            addressee, addressee_name = addressees(
                Distribution.objects.filter(record=record).values("organisation_id")
            )
            registered += len(
                register_many(
                    [sender.pk],
                    JournalKind.OUTGOING,
                    title=record.title,
                    source=EntrySource.CIRCULAR,
                    record=record,
                    correspondent=addressee,
                    correspondent_name=addressee_name,
                )
            )
        already = JournalEntry.objects.filter(
            kind=JournalKind.INCOMING, record=record, source=EntrySource.CIRCULAR
        ).values("organisation_id")
        receivers = (
            Distribution.objects.filter(record=record)
            .exclude(organisation_id__in=already)
            .values("organisation_id")
        )
        registered += len(
            register_many(
                receivers,
                JournalKind.INCOMING,
                title=record.title,
                source=EntrySource.CIRCULAR,
                record=record,
                correspondent=sender,
                correspondent_name=sender.title,
                correspondent_number=record.registration_number,
                correspondent_date=record.document_date,
            )
        )
    return registered


def register_assignment(assignment) -> int:
    """An issued assignment: each executor organisation's incoming journal (a named
    person's: the organisation they are counted under, once however many are named)."""
    sender = _sender(assignment.organisation)
    record = assignment.record
    already = JournalEntry.objects.filter(
        kind=JournalKind.INCOMING, assignment=assignment, source=EntrySource.ASSIGNMENT
    ).values("organisation_id")
    executors = (
        assignment.executions.annotate(unit=unit_of())
        .exclude(unit__in=already)
        .values("unit")
        .distinct()
    )
    return len(
        register_many(
            executors,
            JournalKind.INCOMING,
            title=assignment.text,
            source=EntrySource.ASSIGNMENT,
            record=record,
            assignment=assignment,
            correspondent=sender,
            correspondent_name=sender.title if sender else "",
            correspondent_number=record.registration_number,
            correspondent_date=assignment.issued_on,
            registered_by=assignment.issued_by,
        )
    )


def register_report(execution, user) -> None:
    """A report going up: the executor's outgoing journal, then the issuing
    organisation's incoming journal with the executor's outgoing number."""
    assignment = execution.assignment
    unit = execution.unit_id
    executor = _sender(Page.objects.filter(pk=unit).first())
    author = _sender(assignment.organisation)
    title = _("Report: %(text)s") % {"text": assignment.text}
    with transaction.atomic():
        sent_id = register_many(
            [unit],
            JournalKind.OUTGOING,
            title=title,
            source=EntrySource.REPORT,
            record=assignment.record,
            assignment=assignment,
            execution=execution,
            correspondent=author,
            correspondent_name=author.title if author else "",
            registered_by=user,
        )[unit]
        sent = JournalEntry.objects.get(pk=sent_id)
        if author is not None:
            register_many(
                [author.pk],
                JournalKind.INCOMING,
                title=title,
                source=EntrySource.REPORT,
                record=assignment.record,
                assignment=assignment,
                execution=execution,
                correspondent=executor,
                correspondent_name=executor.title if executor else "",
                correspondent_number=sent.number,
                correspondent_date=sent.registered_on,
                registered_by=user,
            )


# --- by hand -------------------------------------------------------------------------------


def register_by_hand(organisation, user, *, kind, title, on, number="", **fields):
    """Register a document someone brought; the entry. Raises ``ValidationError``
    with a message to show when the typed number is taken (also by a parallel save)."""
    if kind not in (JournalKind.INCOMING, JournalKind.INTERNAL):
        raise ValidationError(_("Only incoming and internal documents are registered by hand."))
    if on > timezone.localdate():
        raise ValidationError(_("The registration date cannot be in the future."))
    entries = JournalEntry.objects.filter(organisation=organisation, kind=kind, year=on.year)
    if not number:
        made = register_many(
            [organisation.pk],
            kind,
            title=title,
            on=on,
            source=EntrySource.BY_HAND,
            registered_by=user,
            **fields,
        )
        return JournalEntry.objects.get(pk=made[organisation.pk])
    taken = ValidationError(
        _("Number %(number)s is already in this journal for %(year)s.")
        % {"number": number, "year": on.year}
    )
    if entries.filter(number=number).exists():
        raise taken
    entry = JournalEntry(
        organisation=organisation,
        kind=kind,
        year=on.year,
        number=number,
        registered_on=on,
        title=title,
        source=EntrySource.BY_HAND,
        registered_by=user,
        **fields,
    )
    entry.search_text = JournalEntry.search_key(number, title, entry.correspondent_name)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise taken from None  # a parallel save took it between the check and ours
    return entry


# --- reading -------------------------------------------------------------------------------


def entries(organisation, *, kind="", year=None, date_from=None, date_to=None, sender="", q=""):
    """The organisation's journal rows, newest first, filtered."""
    rows = JournalEntry.objects.filter(organisation=organisation)
    if kind:
        rows = rows.filter(kind=kind)
    if year:
        rows = rows.filter(year=year)
    if date_from:
        rows = rows.filter(registered_on__gte=date_from)
    if date_to:
        rows = rows.filter(registered_on__lte=date_to)
    if sender:
        rows = rows.filter(correspondent_name=sender)
    for word in (q or "").lower().split()[:10]:
        rows = rows.filter(search_text__contains=word)
    return rows.select_related("registered_by").order_by("-registered_on", "-registered_at", "-pk")


def years(organisation) -> list[int]:
    return list(
        JournalEntry.objects.filter(organisation=organisation)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def correspondents(organisation, kind="") -> list[str]:
    rows = JournalEntry.objects.filter(organisation=organisation).exclude(correspondent_name="")
    if kind:
        rows = rows.filter(kind=kind)
    return list(
        rows.values_list("correspondent_name", flat=True)
        .distinct()
        .order_by("correspondent_name")[:300]
    )
