"""The `pingan` console script: a thin wrapper over Django's management commands."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        # `pingan import-areas` reads better than Django's `import_areas`; both work.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["pingan", *args])


if __name__ == "__main__":
    main()
