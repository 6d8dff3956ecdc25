"""Wagtail API v2's error messages in the caller's language.

Wagtail raises its ``BadRequestError`` with plain English strings (not marked for
translation), so no catalogue can reach them. Each known message is matched here
and said again through Sandyq's catalogue (kk, ru, en); one Wagtail adds later
passes through unchanged until it is listed.
"""

import re

from django.utils.translation import gettext_lazy as _

#: Wagtail's message (a full match) → Sandyq's, formatted with the match's groups.
WAGTAIL_MESSAGES = [
    (
        r"query parameter is not an operation or a recognised field: (?P<names>.+)",
        _("Unknown query parameter: %(names)s."),
    ),
    (r"unknown fields: (?P<names>.+)", _("Unknown fields: %(names)s.")),
    (r"'(?P<field>.+)' does not support nested fields", _("“%(field)s” has no fields inside it.")),
    (
        r"fields error: .*",
        _(
            "The fields parameter cannot be read: give field names separated by commas, "
            "after * (all, then only removals with -) or _ (none, then only additions)."
        ),
    ),
    (
        r"cannot order by '(?P<field>.+)' \((?:unknown|invalid) field\)",
        _("Cannot order by “%(field)s”: there is no such field here."),
    ),
    (
        r"random ordering cannot be combined with other fields",
        _("Random order cannot be combined with other fields."),
    ),
    (
        r"random ordering with offset is not supported",
        _("Random order cannot be combined with an offset."),
    ),
    (
        r"(?P<name>child_of|ancestor_of|descendant_of|translation_of|limit|offset) "
        r"must be a positive integer",
        _("%(name)s must be a positive whole number."),
    ),
    (r"limit cannot be higher than (?P<max>\d+)", _("limit cannot be higher than %(max)s.")),
    (
        r"(?P<what>parent|descendant|ancestor|translation_of) page doesn't exist",
        _("There is no page with that id that you may see (%(name)s)."),
    ),
    (
        r"filtering by descendant_of with child_of is not supported",
        _("descendant_of and child_of cannot be combined."),
    ),
    (r"type doesn't exist", _("There is no such page type.")),
    (
        r"field filter error\. '(?P<value>.*)' is not a valid value for (?P<field>\w+) .*",
        _("“%(value)s” is not a valid value for %(field)s."),
    ),
    (
        r"field filter error\. null characters are not allowed for (?P<field>\w+)",
        _("%(field)s cannot contain a null character."),
    ),
]

#: Which parameter each "… page doesn't exist" message is about.
PAGE_PARAMETERS = {
    "parent": "child_of",
    "descendant": "ancestor_of",
    "ancestor": "descendant_of",
    "translation_of": "translation_of",
}

_COMPILED = [(re.compile(pattern, re.DOTALL), message) for pattern, message in WAGTAIL_MESSAGES]


def translated(message: str) -> str:
    """Wagtail's English ``message`` in the active language, when it is a known one."""
    for pattern, ours in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            values = match.groupdict()
            if "what" in values:
                values["name"] = PAGE_PARAMETERS[values["what"]]
            return str(ours) % values if values else str(ours)
    return message
