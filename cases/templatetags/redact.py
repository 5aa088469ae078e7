"""`{% load redact %}` then `{{ case.text|redact }}`: free text as pingan.redact.scrub shows it.

For every page that shows what residents or staff typed (titles, descriptions, addresses,
notes) to someone who has not revealed the parties' data on purpose. The result is plain
text, escaped by the template as usual.
"""

from django import template

from pingan.redact import scrub

register = template.Library()


@register.filter(name="redact")
def redact(value) -> str:
    if value is None:
        return ""
    return scrub(str(value))
