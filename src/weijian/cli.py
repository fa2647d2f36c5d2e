"""The `weijian` command: thin wrappers over Django management commands.

    weijian demo                  set up everything and serve the demo city (demo mode)
    weijian serve                 serve: gunicorn + background job worker(s)
    weijian createadmin           create the three separated administrators (no superuser)
    weijian import ENTITY FILE    import an .xlsx/.csv file (dry run unless --apply)
    weijian generate-demo         build a synthetic city (--workers N --institutions M --seed S)
    weijian mpi-train-bootstrap   train the MPI's bootstrap matching model on synthetic residents
    weijian rotate-keys           re-encrypt data still under an old key (dry run unless --apply)
    weijian issue-token           issue a REST API token for an account
    weijian closure-reminders     send the research closure reminders due today (daily, from cron)
    weijian load_terminology      load or refresh the built-in code systems (idempotent)
    weijian <django command>      anything else goes to Django (migrate, collectstatic, db_worker, ...)

`weijian COMMAND --help` shows each command's options.
"""

import os
import sys

ALIASES = {"generate-demo": "generate_demo", "rotate-keys": "rotate_keys", "import": "import_file",
           "mpi-train-bootstrap": "mpi_train_bootstrap",
           "prune-imports": "prune_imports",
           "issue-token": "issue_token", "closure-reminders": "closure_reminders"}


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
        # Demo mode only lets demo accounts skip two-factor enrolment; scopes are unchanged.
        os.environ.setdefault("WEIJIAN_DEMO_MODE", "1")
    _django([ALIASES.get(command, command), *rest])


if __name__ == "__main__":
    main()
