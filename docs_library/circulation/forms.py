"""Each person's choice of mail, asked on the site's mail settings page and in the
admin's account settings alike."""

from django import forms

from ..models import MailPreference


class MailPreferenceForm(forms.ModelForm):
    class Meta:
        model = MailPreference
        fields = ["non_essential", "daily_digest"]
