"""The ``merdeka`` command: Django's management commands, Merdeka's own first.

``merdeka run``, ``merdeka setup``, ``merdeka shop create``, ``merdeka keys rotate``,
``merdeka backup`` and ``merdeka restore`` are Merdeka's; every other Django command
(``migrate``, ``createsuperuser``...) works too.

Before a command that reads or writes the database, the database is checked once,
here: on a data directory that was never set up (or not migrated after an update) the
command says so in one line, with what to run, instead of failing on a missing table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Commands that set the database up, only look at it, or need none at all.
WITHOUT_DATABASE = {
    "setup",
    "migrate",
    "restore",
    "help",
    "version",
    "check",
    "showmigrations",
    "sqlmigrate",
    "makemigrations",
    "squashmigrations",
    "optimizemigration",
    "createcachetable",
    "inspectdb",
    "dbshell",
    "shell",
    "diffsettings",
    "sendtestemail",
    "makemessages",
    "compilemessages",
    "collectstatic",
    "findstatic",
    "startapp",
    "startproject",
    "test",
}


def needs_database(args: list[str]) -> bool:
    """Does ``merdeka ARGS`` need a set-up database? ``args`` without the program name."""
    if not args or args[0].startswith("-") or {"-h", "--help"} & set(args):
        return False
    command, options = args[0], args[1:]
    if command in WITHOUT_DATABASE:
        return False
    if command == "receipt":  # reading photos needs no database; anything else it may
        return options[:1] != ["read"]
    if command == "inspect":  # reads a file; only a shop's saved column mapping needs the database
        return any(option == "--shop" or option.startswith("--shop=") for option in options)
    import django
    from django.core.management import get_commands

    django.setup()  # the apps' commands are known once the apps are loaded
    return command in get_commands()  # an unknown command is Django's to explain


def database_problem() -> str | None:
    """One line saying what to run when the database is not ready, else None."""
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        in_data_dir = path.parent == Path(settings.DATA_DIR)
        where = f"the data directory {settings.DATA_DIR}" if in_data_dir else f"{path}"
        if not path.exists():  # connecting would create it
            return f"Merdeka is not set up in {where} yet: run `merdeka setup` first."
    else:
        where = f"the database {connection.settings_dict['NAME']}"
    try:
        if "django_migrations" not in connection.introspection.table_names():
            return f"Merdeka is not set up in {where} yet: run `merdeka setup` first."
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return None  # unreachable or refused: the command itself reports that
    finally:
        connection.close()
    if pending:
        return (
            f"The database in {where} is older than this Merdeka ({len(pending)} "
            "migrations to apply): run `merdeka migrate` first."
        )
    return None


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
    try:
        from django.core.management import execute_from_command_line

        argv = list(sys.argv if argv is None else argv)
        argv[0] = "merdeka"
        if needs_database(argv[1:]):
            problem = database_problem()
            if problem:
                print(problem, file=sys.stderr)
                return 1
        execute_from_command_line(argv)
    except KeyboardInterrupt:
        # Ctrl+C while a command starts or works: one line, not a traceback
        print("Stopped (Ctrl+C).", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
