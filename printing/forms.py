from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from printing.services import PURPOSE_MAX_LENGTH

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class PageForm(forms.Form):
    """A form drawn with the case pages' field template (cases/_form_fields.html)."""

    def fieldset_list(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [("", [self[name] for name in self.fields])]


class PurposeForm(PageForm):
    purpose = forms.CharField(
        label=_("Why do you print this document?"),
        help_text=_(
            "Recorded in the print register with your name and the time, e.g. "
            "“File for the court hearing of 12 May”."
        ),
        max_length=PURPOSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why you print this document.")},
    )


class VerifyForm(PageForm):
    id = forms.UUIDField(
        label=_("Document id"),
        required=False,
        help_text=_("Printed at the foot of every page."),
        error_messages={"invalid": _("A document id looks like 1b4e28ba-2fa1-11d2-883f-…")},
    )
    sha256 = forms.CharField(
        label=_("SHA-256 of the PDF file"),
        required=False,
        max_length=64,
        strip=True,
    )
    file = forms.FileField(label=_("Or upload the PDF file"), required=False)

    def clean_sha256(self) -> str:
        value = self.cleaned_data["sha256"]
        if value and not SHA256.match(value):
            raise forms.ValidationError(_("A SHA-256 is 64 hexadecimal characters."))
        return value.lower()
