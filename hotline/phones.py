"""Callers' numbers: parsed with phonenumbers for region VN, stored E.164."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WITHHELD_MARKERS = {
    "",
    "anonymous",
    "withheld",
    "private",
    "unknown",
    "restricted",
    "an so",
    "ẩn số",
}
# Short codes: 111, 113, 1080, 9029 (3 to 5 digits, never a leading 0). 1800 xxxx is a
# toll-free number, parsed as a number.
SHORT_NUMBER_DIGITS = range(3, 6)


@dataclass(frozen=True)
class CallerNumber:
    value: str  # E.164 for a number, the digits for a short number, "" when withheld
    kind: str  # "number", "short", "withheld"


def caller_number_parse(raw: str | None, *, field: str = "caller_number") -> CallerNumber:
    """Parse what the caller's phone showed; refuse what is neither a number nor withheld."""
    text = (raw or "").strip()
    if text.lower() in WITHHELD_MARKERS:
        return CallerNumber("", "withheld")
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.isdigit() and len(digits) in SHORT_NUMBER_DIGITS and not digits.startswith("0"):
        return CallerNumber(digits, "short")
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            {
                field: _(
                    "“%(value)s” is not a valid phone number. Enter a Vietnamese number such as "
                    "0912 345 678 or +84 912 345 678, a short number, or leave it empty if the "
                    "number was withheld."
                )
                % {"value": text[:30]}
            }
        )
    return CallerNumber(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), "number"
    )


def caller_number_display(value: str, kind: str) -> str:
    """Show a stored number as people read it: 0912 345 678, or what kind of number it was."""
    if kind == "number" and value:
        number = phonenumbers.parse(value, "VN")
        if number.country_code == 84:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if kind == "short":
        return _("short number %(digits)s") % {"digits": value}
    if kind == "withheld":
        return _("withheld number")
    if kind == "number":
        return _("number not kept: the caller was not identified")
    return _("no number")


def caller_number_key(value: str) -> str:
    """
    A keyed hash of an E.164 number: repeat callers are recognised without keeping the number
    of a caller who did not agree to be identified (Mẫu 01 section A.3).
    """
    import hashlib
    import hmac

    from django.conf import settings

    if not value:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
