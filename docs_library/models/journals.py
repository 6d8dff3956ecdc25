"""Registration journals: each organisation's registers of incoming, outgoing and
internal documents, numbered per organisation, journal and year.

A ``JournalCounter`` row holds the last number given in one journal and year;
taking a number is an ``UPDATE`` of that row, so concurrent registrations queue
on it. A ``JournalEntry`` is one registered document. The database refuses a
number used twice in a journal and year, and a circular or assignment
registered twice in the same journal. What is done with them is in
``docs_library.circulation.journals``; who may see and register, in
``docs_library.access``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.models import Page

from .assignments import Assignment, Execution
from .records import DocumentPage


class JournalKind(models.TextChoices):
    INCOMING = "incoming", _("Incoming documents")
    OUTGOING = "outgoing", _("Outgoing documents")
    INTERNAL = "internal", _("Internal documents")


# Short codes of the journals, for the {type_code} of a number pattern:
# кіріс (incoming), шығыс (outgoing), ішкі (internal).
JOURNAL_CODES = {
    JournalKind.INCOMING: "К",
    JournalKind.OUTGOING: "Ш",
    JournalKind.INTERNAL: "І",
}


class EntrySource(models.TextChoices):
    CIRCULAR = "circular", _("Circular")
    ASSIGNMENT = "assignment", _("Assignment")
    REPORT = "report", _("Execution report")
    BY_HAND = "by_hand", _("Registered by hand")


class JournalCounter(models.Model):
    """The last number given in one organisation's journal in one year."""

    organisation = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=JournalKind.choices)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "year"], name="one_journal_counter_per_year"
            )
        ]

    def __str__(self):
        return f"{self.organisation_id}/{self.kind}/{self.year}: {self.last_value}"


class JournalEntry(models.Model):
    """One document registered in an organisation's journal."""

    organisation = models.ForeignKey(
        Page, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("journal"), max_length=10, choices=JournalKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    # The counter's value this entry took; empty when the number was typed by hand.
    sequence = models.PositiveIntegerField(null=True, blank=True)
    number = models.CharField(_("registration number"), max_length=50)
    registered_on = models.DateField(_("registration date"), default=timezone.localdate)
    registered_at = models.DateTimeField(default=timezone.now, editable=False)
    source = models.CharField(max_length=12, choices=EntrySource.choices)
    title = models.CharField(_("title"), max_length=255)
    # The sender of an incoming document, the addressee of an outgoing one.
    correspondent = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Its name as it was, so the journal keeps it if the organisation goes.
    correspondent_name = models.CharField(_("correspondent"), max_length=255, blank=True)
    correspondent_number = models.CharField(_("sender's number"), max_length=50, blank=True)
    correspondent_date = models.DateField(_("sender's date"), null=True, blank=True)
    record = models.ForeignKey(
        DocumentPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    execution = models.ForeignKey(
        Execution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    # Number, title and correspondent in lower case, for a search that ignores
    # case in Cyrillic on SQLite too (whose LIKE folds ASCII only).
    search_text = models.CharField(max_length=700, blank=True, editable=False)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "year", "number"],
                name="unique_journal_number",
                violation_error_message=_(
                    "This number is already in the journal for the same year."
                ),
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "year", "sequence"],
                name="unique_journal_sequence",
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "record"],
                condition=Q(source="circular"),
                name="one_journal_entry_per_circular",
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "assignment"],
                condition=Q(source="assignment"),
                name="one_journal_entry_per_assignment",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=JournalKind.values), name="journal_kind_known"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "kind", "-registered_on", "-registered_at"],
                name="journal_newest_first",
            )
        ]

    def __str__(self):
        return f"{self.organisation_id}/{self.kind}: № {self.number}"

    @staticmethod
    def search_key(*parts) -> str:
        return " ".join(str(part) for part in parts if part).lower()[:700]
