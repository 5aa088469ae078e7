"""GeoReport v2 documents in XML (mandatory) and JSON, and its error format.

One Python structure renders both ways. XML follows the spec's element names; lists become
repeated child elements named by ITEM_TAGS (the Spark convention the spec's JSON is
derived from), None an empty element, booleans true/false. UTF-8 everywhere.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry at all; text from older channels may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# The element name of one item of each list.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


class Open311Error(Exception):
    """An answer in the spec's error format: HTTP status and [(code, description)]."""

    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.descriptions = list(descriptions)
        super().__init__("; ".join(descriptions))


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM_TAGS[element.tag]), item)
    else:
        element.text = _text(value)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    ET.indent(element)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8") + b"\n"


def respond(fmt: str, root: str, data, *, status: int = 200) -> HttpResponse:
    """`data` as an Open311 document: `root` names the XML root (JSON has no root)."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    else:
        body = to_xml(root, data)
    return HttpResponse(
        body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["xml"])
    )


def error_response(fmt: str, error: Open311Error) -> HttpResponse:
    rows = [{"code": error.status, "description": d} for d in error.descriptions]
    return respond(fmt if fmt in FORMATS else "xml", "errors", rows, status=error.status)
