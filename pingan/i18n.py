"""Translation catalogues: compile .po to .mo without GNU gettext, and find gaps.

`python -m pingan.i18n compile` writes every locale's .mo; `python -m pingan.i18n check`
lists entries of the Chinese catalogue that are untranslated or fuzzy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))


def compile_all() -> list[Path]:
    written = []
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def gaps(language: str = "zh_Hans") -> list[str]:
    po = polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po.untranslated_entries()]
    missing += [f"(fuzzy) {e.msgid}" for e in po.fuzzy_entries()]
    return missing


def main(argv: list[str]) -> int:
    if argv[:1] == ["compile"]:
        for path in compile_all():
            print(path.relative_to(LOCALE_DIR.parent))
        return 0
    if argv[:1] == ["check"]:
        missing = gaps()
        for msgid in missing:
            print(f"untranslated: {msgid!r}")
        return 1 if missing else 0
    print("usage: python -m pingan.i18n compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
