"""The circulation's forms: each person's choice of mail (asked on the site's mail
settings page and in the admin's account settings alike), and the registration
journals' filters and registration by hand."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import JournalKind, MailPreference


class MailPreferenceForm(forms.ModelForm):
    class Meta:
        model = MailPreference
        fields = ["non_essential", "daily_digest"]


DATE_INPUT = {"type": "date"}


class JournalFilterForm(forms.Form):
    """The journal's filters, read from the query string; bad values are said, not guessed."""

    kind = forms.ChoiceField(label=_("Journal"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(
        label=_("Registered from"),
        required=False,
        widget=forms.DateInput(DATE_INPUT, "%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("Registered until"),
        required=False,
        widget=forms.DateInput(DATE_INPUT, "%Y-%m-%d"),
    )
    sender = forms.ChoiceField(label=_("Correspondent"), required=False)
    q = forms.CharField(label=_("Number or title"), required=False, max_length=100)

    def __init__(self, data, *, years, correspondents):
        super().__init__(data)
        self.fields["kind"].choices = [("", _("All journals")), *JournalKind.choices]
        self.fields["year"].choices = [("", _("Every year"))] + [(y, str(y)) for y in years]
        self.fields["sender"].choices = [("", _("Everyone"))] + [(n, n) for n in correspondents]

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("date_from"), cleaned_data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return cleaned_data


class RegistrationForm(forms.Form):
    """A document registered by hand: one brought in, or one of the organisation's own."""

    kind = forms.ChoiceField(
        label=_("Journal"),
        choices=[
            (JournalKind.INCOMING, JournalKind.INCOMING.label),
            (JournalKind.INTERNAL, JournalKind.INTERNAL.label),
        ],
    )
    registered_on = forms.DateField(
        label=_("Registration date"),
        initial=timezone.localdate,
        widget=forms.DateInput(DATE_INPUT, "%Y-%m-%d"),
    )
    number = forms.CharField(
        label=_("Registration number"),
        required=False,
        max_length=50,
        help_text=_("Leave empty to take the journal's next number."),
    )
    title = forms.CharField(label=_("Title or summary"), max_length=255)
    correspondent_name = forms.CharField(
        label=_("Sender"),
        required=False,
        max_length=255,
        help_text=_("Who sent an incoming document."),
    )
    correspondent_number = forms.CharField(
        label=_("Sender's number"), required=False, max_length=50
    )
    correspondent_date = forms.DateField(
        label=_("Sender's date"),
        required=False,
        widget=forms.DateInput(DATE_INPUT, "%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def clean_registered_on(self):
        registered_on = self.cleaned_data["registered_on"]
        if registered_on > timezone.localdate():
            raise ValidationError(_("The registration date cannot be in the future."))
        return registered_on

    def clean(self):
        cleaned_data = super().clean()
        for name in ("number", "title", "correspondent_name", "correspondent_number", "note"):
            if name in cleaned_data:
                cleaned_data[name] = cleaned_data[name].strip()
        if cleaned_data.get("kind") == JournalKind.INCOMING and not cleaned_data.get(
            "correspondent_name"
        ):
            self.add_error("correspondent_name", _("Say who sent the incoming document."))
        sent, registered = cleaned_data.get("correspondent_date"), cleaned_data.get("registered_on")
        if sent and registered and sent > registered:
            self.add_error(
                "correspondent_date", _("The sender's date is after the registration date.")
            )
        return cleaned_data
