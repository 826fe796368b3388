"""The ``merdeka`` command: Django's management commands, Merdeka's own first.

``merdeka run``, ``merdeka setup``, ``merdeka shop create``, ``merdeka keys rotate``,
``merdeka backup`` and ``merdeka restore`` are Merdeka's; every other Django command
(``migrate``, ``createsuperuser``...) works too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "merdeka"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
