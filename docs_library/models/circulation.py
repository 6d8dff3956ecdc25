"""Circulars in the tree: the organisations a record is addressed to, its copy in
each addressed organisation's inbox (``Distribution``), each person's
acknowledgement, and each person's choice of mail. What is done with them is in
``docs_library.circulation.circulars`` and ``docs_library.circulation.notifications``.
"""

from modelcluster.fields import ParentalKey

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import PageChooserPanel
from wagtail.models import Orderable, Page

from .records import DocumentPage


class CircularAddressee(Orderable):
    """One organisation of a circular's chosen list (kept in the record's revisions)."""

    record = ParentalKey(
        "docs_library.DocumentPage", on_delete=models.CASCADE, related_name="addressees"
    )
    organisation = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    panels = [
        PageChooserPanel(
            "organisation",
            [
                "home.RegionalBranchPage",
                "home.DistrictBranchPage",
                "home.PrimaryOrganisationPage",
            ],
        )
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("addressed organisation")
        verbose_name_plural = _("addressed organisations")


class Distribution(models.Model):
    """A circular in one addressed organisation's inbox."""

    record = models.ForeignKey(
        DocumentPage,
        verbose_name=_("circular"),
        on_delete=models.CASCADE,
        related_name="distributions",
    )
    organisation = models.ForeignKey(
        Page, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    # The organisation's first acknowledgement, copied here for the dashboards.
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "organisation"], name="one_distribution_per_organisation"
            )
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="inbox_newest_first")]

    def __str__(self):
        return f"{self.record_id} → {self.organisation_id}"

    def status(self, today=None) -> str:
        return distribution_status(self.record, self.acknowledged_at, today)


class Acknowledgement(models.Model):
    """One person's "read and acknowledged" (Таныстым / Ознакомлен) of a circular."""

    record = models.ForeignKey(
        DocumentPage,
        verbose_name=_("circular"),
        on_delete=models.CASCADE,
        related_name="acknowledgements",
    )
    distribution = models.ForeignKey(
        Distribution,
        verbose_name=_("for organisation"),
        on_delete=models.CASCADE,
        related_name="acknowledgements",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("acknowledged"), default=timezone.now)

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "user"], name="one_acknowledgement_per_person"
            )
        ]

    def __str__(self):
        return f"{self.user_id} ✓ {self.record_id}"


class Status(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    PENDING = "pending", _("Pending")
    OVERDUE = "overdue", _("Overdue")


def is_overdue_date(record, today=None) -> bool:
    today = today or timezone.localdate()
    return bool(record.response_deadline and record.response_deadline < today)


def distribution_status(record, acknowledged_at, today=None) -> str:
    if acknowledged_at:
        return Status.ACKNOWLEDGED
    return Status.OVERDUE if is_overdue_date(record, today) else Status.PENDING


class MailPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sandyq_mail_preference",
    )
    non_essential = models.BooleanField(
        _("Send me mail that is not essential"),
        default=True,
        help_text=_(
            "Submissions for review, approvals, requests for changes, and circulars that ask "
            "for no acknowledgement. Circulars to acknowledge and reminders always come."
        ),
    )
    daily_digest = models.BooleanField(
        _("Gather mail about assignments into one daily digest"),
        default=False,
        help_text=_(
            "Assignments issued, reports, decisions on them and reminders of deadlines "
            "come once a day in one mail instead of one mail each."
        ),
    )

    class Meta:
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")

    def __str__(self):
        return f"{self.user_id}: {'all' if self.non_essential else 'essential only'}"

    @classmethod
    def for_user(cls, user) -> "MailPreference":
        preference, _created = cls.objects.get_or_create(user=user)
        return preference
