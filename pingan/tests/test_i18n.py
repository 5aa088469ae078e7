"""Every user-facing string has its Chinese translation, compiled and up to date."""

import re
from pathlib import Path

import polib
import pytest

from pingan.i18n import LOCALE_DIR, gaps

ROOT = LOCALE_DIR.parent
SOURCE_DIRS = ["pingan", "territory", "org", "web", "cases", "crowd", "triage", "measures", "api"]
PY_CALL = re.compile(r"""\b(?:_|gettext|gettext_lazy)\(\s*"((?:[^"\\\n]|\\.)+)"\s*[),%]""")
TEMPLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+"([^"]+)"(?:\s+[^%]*)?%\}""")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))


def source_strings() -> set[str]:
    found = set()
    for d in SOURCE_DIRS:
        for path in (ROOT / d).rglob("*"):
            if "tests" in path.parts or path.suffix not in (".py", ".html"):
                continue
            text = path.read_text(encoding="utf-8")
            pattern = PY_CALL if path.suffix == ".py" else TEMPLATE_TAG
            found.update(
                m.group(1).encode().decode("unicode_escape").encode("latin-1").decode()
                for m in pattern.finditer(text)
            )
    return found


def test_every_chinese_entry_is_translated_and_none_is_fuzzy():
    assert gaps("zh_Hans") == []


def test_every_marked_string_in_the_sources_is_in_the_catalogue():
    known = {e.msgid for e in catalogue("zh_Hans")}
    missing = sorted(source_strings() - known)
    assert not missing, f"run `make messages` and translate: {missing}"


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalogue_matches_its_source(language):
    po = catalogue(language)
    mo = polib.mofile(str(Path(LOCALE_DIR / language / "LC_MESSAGES" / "django.mo")))

    def translations(catalogue):
        return {
            (e.msgctxt, e.msgid): e.msgstr or tuple(sorted(e.msgstr_plural.items()))
            for e in catalogue
            if e.msgid and (e.msgstr or any(e.msgstr_plural.values()))
        }

    assert translations(po) == translations(mo)
