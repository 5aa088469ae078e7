"""Redaction: masks for stored personal fields, a scrubber for free text, safe export cells.

Pure functions, no models: the one place that decides what a phone number, an ID number or a
name looks like when it leaves the system for someone who has not unmasked it on purpose.

- `mask_phone`, `mask_id_number`: a stored party field, never shown whole whatever its length.
- `scrub(text)`: free text (titles, descriptions, addresses, notes) with every phone number,
  ID number (mainland, Hong Kong, Macao, Taiwan, passports), e-mail address and the name after
  a cue such as 我叫 or 联系人 masked; the rest stays readable. Matching is done on the NFKC
  form (full-width digits and brackets count), the masks replace the original characters.
- `neutralise(value)`: a spreadsheet cell that cannot become a formula and cannot crash
  openpyxl (the OWASP CSV-injection rule, and control characters removed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

# -- masks for stored fields --------------------------------------------------------------------


def _keep(value: str, head: int, tail: int) -> str:
    """The value with all but `head` leading and `tail` trailing characters as `*`."""
    hidden = len(value) - head - tail
    return value[:head] + "*" * hidden + (value[-tail:] if tail else "")


def mask_short(value: str) -> str:
    """Any value shown by its edges only, at least half of it hidden; four or fewer: all."""
    n = len(value)
    if n <= 4:
        return "*" * n
    if n <= 7:
        return _keep(value, 1, 1)
    if n <= 10:
        return _keep(value, 2, 2)
    return _keep(value, 3, 2)


def mask_phone(phone: str) -> str:
    """138****1234 (a mobile: first three, last four); shorter numbers by their edges."""
    value = (phone or "").strip()
    if len(value) >= 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 8:  # a local landline: its last two
        return _keep(value, 0, 2)
    return _keep(value, 2, 2)


def mask_id_number(number: str) -> str:
    """500103********1234 for a mainland ID (15 or 18); others (HK, Macao, Taiwan,
    passports) by at most their first two and last two characters."""
    value = (number or "").strip()
    if len(value) >= 15:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 7:
        return _keep(value, 1, 1)
    return _keep(value, 2, 2)


def mask_name(name: str) -> str:
    """张* / 王*明 / 欧阳*明: the first character (and the last of long names)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(email: str) -> str:
    """z***@example.org: the first character of the mailbox and the whole domain."""
    box, at, domain = (email or "").strip().partition("@")
    if not at:
        return "*" * len(box)
    return (box[:1] + "***" if box else "") + "@" + domain


# -- free text ----------------------------------------------------------------------------------
_SEP = r"[ .\-]?"  # one optional space, dot or dash between digit groups
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Mainland resident IDs: 18 (the last may be X) or the old 15 digits.
ID_18 = re.compile(_NOT_ALNUM_BEFORE + r"\d{6} ?\d{8} ?\d{3}[\dXx]" + _NOT_ALNUM_AFTER)
ID_15 = re.compile(_NOT_ALNUM_BEFORE + r"\d{15}" + _NOT_ALNUM_AFTER)
# Hong Kong A123456(7), AB123456(A); Macao 1234567(8), 1/234567/8.
HK_ID = re.compile(_NOT_ALNUM_BEFORE + r"[A-Za-z]{1,2}\d{6} ?\( ?[0-9Aa] ?\)")
MACAO_ID = re.compile(r"(?<![0-9A-Za-z/])(?:\d{7} ?\( ?\d ?\)|\d/\d{6}/\d)(?![0-9/])")
# Taiwan A123456789, passports E12345678, G1234567, EA1234567, HK without brackets A1234567.
LETTER_ID = re.compile(_NOT_ALNUM_BEFORE + r"[A-Za-z]{1,2}\d{7,9}" + _NOT_ALNUM_AFTER)
_COUNTRY = r"(?:\( ?(?:\+|00)?86 ?\)|(?:\+|00) ?86|86(?=[ .\-]))" + _SEP
MOBILE = re.compile(
    r"(?<!\d)(?:" + _COUNTRY + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}(?!\d)"
)
_EXTENSION = r"(?: ?(?:-|转|分机|ext\.?|x) ?\d{1,6})?"
LANDLINE = re.compile(
    r"(?<!\d)(?:"
    + _COUNTRY
    + r"\(?0?\d{2,3}\)?|\(0\d{2,3}\)|0\d{2,3})"
    + _SEP
    + r"\d{3,4}"
    + _SEP
    + r"\d{4}"
    + _EXTENSION
    + r"(?!\d)"
)
# Numbers right after a word that says they are one: 电话 6123 4567, QQ 12345678.
_CUE_NUMBER = re.compile(
    r"(?i)(?:电话|手机|手机号|座机|号码|联系方式|微信|qq|tel|phone|mobile)[:：]? ?"
    r"(\+?\d[\d .\-]{3,}\d)"
)
# Any other long run of digits (bank cards, numbers written without separators).
LONG_DIGITS = re.compile(r"(?<!\d)\d{9,}(?!\d)")

_HAN = "\u4e00-\u9fff"
_STRONG_NAME_CUE = r"(?:联系电话人|联系人|姓名|名字叫|名叫)"
_WEAK_NAME_CUE = r"(?:我叫|我是|本人)"
# After these a name must start with a common surname (我是业主, 本人住在…, 我叫不出…); after
# the others (联系人, 姓名) whatever follows is taken as the name.
_SURNAME_FIRST = ("我叫", "我是", "本人")
# Common surnames: after a weak cue (我是业主, 本人住在…) only a surname starts a name.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷黎史龙陶贺顾毛"
    "郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿"
    "梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋"
    "植甘景薄单包司柏宁柯阮桂闵欧阳解强丛华车冉房边辜吉饶刁瞿戚丘古米池滕晋苑邬臧畅宫来嵺苟"
    "全褚廉简娄盖符奚木穆党燕郎邸冀谈姬屠连郜晏栾郁商蒙计喻揭窦迟宇敖糜鄢冷卓花艾蓝都巩稽井"
    "练仲乐虞卞封竺冼原官衣楚佟栗匡宗应台巫鞠僧桑荆谌银扬明沙薄伏岑习胥保和蔺水云昌凤酆常"
)
NAME_CUE = re.compile(
    r"(?P<cue>"
    + _STRONG_NAME_CUE
    + r"|"
    + _WEAK_NAME_CUE
    + r")[:： ]{0,2}(?P<name>["
    + _HAN
    + r"]{2,4})"
)
# A name ends before these: 我叫张三住在…, 联系人李四电话…
_NAME_STOP = set("的在住是，。电手号联家今年反映要求和与及请向从到给我你他她您")


# Full-width ASCII forms (１３８, （, ：, ＠) and the ideographic space, one for one.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """NFKC character by character, with the original index of every normalised character
    (None when every character stayed one character: the indexes are the same)."""
    narrow = text.translate(_FULL_WIDTH)
    if narrow.isascii() or unicodedata.is_normalized("NFKC", narrow):
        return narrow, None
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(narrow):
        norm = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        chars.append(norm)
        origin.extend([i] * len(norm))
    return "".join(chars), origin


def _mask_alnum(match: str, head: int, tail: int) -> str:
    """The match with its letters and digits hidden but `head` first and `tail` last ones;
    separators and brackets stay so the text keeps its shape."""
    positions = [i for i, ch in enumerate(match) if ch.isalnum()]
    shown = set(positions[:head]) | (set(positions[-tail:]) if tail else set())
    return "".join(ch if (i in shown or not ch.isalnum()) else "*" for i, ch in enumerate(match))


def _mask_id(match: str) -> str:
    digits = sum(ch.isalnum() for ch in match)
    if digits >= 15:
        # 500103********1234, as the parties' masks show a mainland ID
        compact = match.replace(" ", "")
        return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]
    return _mask_alnum(match, 1 if digits <= 8 else 2, 1)


def _mask_mobile(match: str) -> str:
    digits = re.sub(r"\D", "", match)
    number = digits[-11:]
    prefix = match[: len(match) - len(_tail_of(match, 11))]
    return prefix + number[:3] + "****" + number[-4:]


def _tail_of(match: str, digits: int) -> str:
    """The shortest end of `match` holding `digits` digits."""
    count = 0
    for i in range(len(match) - 1, -1, -1):
        if match[i].isdigit():
            count += 1
            if count == digits:
                return match[i:]
    return match


def _mask_landline(match: str) -> str:
    # The area code stays (it names a city, not a person); the local number shows its last two.
    m = re.match(r"(.*?(?:\(0?\d{2,3}\)|0\d{2,3}|86[ .\-]?\(?0?\d{2,3}\)?))(.*)", match)
    area, rest = (m.group(1), m.group(2)) if m else ("", match)
    ext = re.search(r" ?(?:-|转|分机|ext\.?|x) ?\d{1,6}$", rest)
    local = (
        rest[: ext.start()] if ext and sum(c.isdigit() for c in rest[: ext.start()]) >= 7 else rest
    )
    extension = rest[len(local) :]
    return area + _mask_alnum(local, 0, 2) + re.sub(r"\d", "*", extension)


def _mask_long(match: str) -> str:
    return _mask_alnum(match, 3, 2)


def _mask_email(match: str) -> str:
    return "***@***"


def _name_span(match: re.Match) -> tuple[int, int] | None:
    name = match.group("name")
    cut = next((i for i, ch in enumerate(name) if i >= 2 and ch in _NAME_STOP), len(name))
    name = name[:cut]
    if match.group("cue") in _SURNAME_FIRST and name[0] not in SURNAMES:
        return None
    start = match.start("name")
    return start, start + len(name)


# (pattern, mask) in order of precedence: a span taken by an earlier rule is not matched again.
_RULES: list[tuple[re.Pattern, Callable[[str], str]]] = [
    (EMAIL, _mask_email),
    (ID_18, _mask_id),
    (HK_ID, _mask_id),
    (MACAO_ID, _mask_id),
    (LETTER_ID, _mask_id),
    (MOBILE, _mask_mobile),
    (LANDLINE, _mask_landline),
    (ID_15, _mask_id),
    (LONG_DIGITS, _mask_long),
]


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or start >= b for a, b in taken)


def find(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mask) in `text`'s own indexes for everything `scrub` hides, in order."""
    norm, origin = _normalised(text)
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def take(start: int, end: int, mask: str) -> None:
        taken.append((start, end))
        found.append((start, end, mask))

    for pattern, masker in _RULES:
        for m in pattern.finditer(norm):
            if _free(taken, m.start(), m.end()):
                take(m.start(), m.end(), masker(m.group()))
    for m in _CUE_NUMBER.finditer(norm):
        start, end = m.span(1)
        if _free(taken, start, end):
            take(start, end, _mask_alnum(m.group(1), 0, 2))
    for m in NAME_CUE.finditer(norm):
        span = _name_span(m)
        if span and _free(taken, *span):
            take(*span, mask_name(norm[span[0] : span[1]]))
    if origin is None:
        return sorted(found)
    return [(origin[start], origin[end - 1] + 1, mask) for start, end, mask in sorted(found)]


def scrub(text: str | None) -> str:
    """Free text with phone numbers, ID numbers, e-mail addresses and cued names masked."""
    if not text:
        return ""
    text = str(text)
    spans = find(text)
    if not spans:
        return text
    parts, last = [], 0
    for start, end, mask in spans:
        parts.append(text[last:start])
        parts.append(mask)
        last = end
    parts.append(text[last:])
    return "".join(parts)


# Keys of event data that hold codes, numbers and times we made, not anyone's free text.
STRUCTURED_KEYS = frozenset(
    {
        "location",
        "grid",
        "channel",
        "routed_to",
        "co_units",
        "rule",
        "duplicates",
        "deadline",
        "unit",
        "from_unit",
        "to_unit",
        "into",
        "merged",
        "due_at",
        "warn_at",
        "from_due",
        "paused_from",
        "at",
        "from",
        "to",
        "proposed",
        "supervision",
        "party",
        "fields",
        "outcome",
        "method",
        "rating",
        "format",
        "number",
        "unique_key",
        "media_url",
        "amount",
        "from_level",
        "to_level",
        "passed",
        "on_time",
        "_fields",
        "area_code",
        "grid_code",
        "row",
    }
)


def scrub_data(value: Any, key: str | None = None) -> Any:
    """A JSON value with every free-text string scrubbed (codes under STRUCTURED_KEYS kept)."""
    if key in STRUCTURED_KEYS:
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_data(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(v) for v in value]
    return value


# -- spreadsheet cells --------------------------------------------------------------------------
# What openpyxl refuses in a cell (IllegalCharacterError); CSV readers choke on them too.
CONTROL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# OWASP: a cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """A cell value safe to export: control characters removed, and a string that a
    spreadsheet would read as a formula prefixed with an apostrophe. Non-strings unchanged."""
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in values]
