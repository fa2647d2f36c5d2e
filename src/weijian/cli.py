"""The `weijian` command: thin wrappers over Django management commands.

    weijian demo                 set up everything and serve the demo city
    weijian serve                serve (gunicorn + background job worker)
    weijian createadmin          create the three separated administrators
    weijian import ENTITY FILE   import an .xlsx/.csv file (dry run unless --apply)
    weijian generate-demo        build a synthetic city (--workers N)
    weijian <django command>     anything else is passed to Django (migrate, db_worker, ...)
"""

import os
import sys

ALIASES = {"generate-demo": "generate_demo", "rotate-keys": "rotate_keys"}


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weijian.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["weijian", *argv])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return
    command, rest = argv[0], argv[1:]
    if command == "demo":
        os.environ.setdefault("WEIJIAN_DEMO_MODE", "1")
        _django(["demo", *rest])
        return
    _django([ALIASES.get(command, command), *rest])


if __name__ == "__main__":
    main()
