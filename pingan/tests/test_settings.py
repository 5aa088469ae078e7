"""Settings truth: every variable settings.py reads is in the README's table and back, and
the code reads settings as `settings.X`, never with a default of its own."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = [
    p
    for p in ROOT.rglob("*.py")
    if not {".venv", "node_modules", "var", "tests", "migrations"} & set(p.parts)
    and p.name != "conftest.py"
]


def variables_settings_reads() -> set[str]:
    text = (ROOT / "pingan" / "settings.py").read_text()
    return set(
        re.findall(r'(?:os\.environ\.get|env_bool|env_json_object|_throttle)\(\s*"([A-Z_]+)"', text)
    )


def variables_in_the_readme_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([A-Z_]+)`", row.split("|")[1]))
    return names


def test_every_variable_settings_reads_is_in_the_readme_table_and_back():
    read, listed = variables_settings_reads(), variables_in_the_readme_table()

    assert "LOG_LEVEL" in read and "PINGAN_CROWD_TICK_SECONDS" in read  # the parse works
    assert read - listed == set(), "read by settings.py, missing from the README's table"
    assert listed - read == set(), "in the README's table, not read by settings.py"


def test_only_settings_py_reads_the_environment():
    readers = {
        str(p.relative_to(ROOT))
        for p in SOURCES
        if re.search(r"os\.environ(?:\.get)?[\[(]\s*\"(?!DJANGO_SETTINGS_MODULE)", p.read_text())
    }

    # The benchmarks hand the environment on to the processes they start.
    assert {r for r in readers if not r.startswith("bench/")} == {"pingan/settings.py"}


def test_no_code_reads_a_setting_with_a_default_of_its_own():
    found = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in SOURCES
        for m in re.finditer(r'getattr\(\s*settings\s*,\s*"[A-Z_]+"\s*,[^)]*\)', p.read_text())
    ]

    assert found == []
