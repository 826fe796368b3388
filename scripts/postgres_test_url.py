"""Print the PostgreSQL URL the test suite should use, or nothing if none answers.

MERDEKA_TEST_DATABASE_URL wins; otherwise the local server on 127.0.0.1:5432 is
tried. With MERDEKA_REQUIRE_POSTGRES=1 (as in CI) an unreachable server is an error.
"""

import os
import sys

DEFAULT = "postgres://postgres@127.0.0.1:5432/test"


def main() -> int:
    url = os.environ.get("MERDEKA_TEST_DATABASE_URL") or DEFAULT
    required = os.environ.get("MERDEKA_REQUIRE_POSTGRES") == "1"
    try:
        import psycopg

        psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
    except Exception as exc:
        if required:
            print(f"PostgreSQL is required but did not answer at {url}: {exc}", file=sys.stderr)
            return 1
        print(f"(PostgreSQL not reachable at {url}: skipping the PostgreSQL half)", file=sys.stderr)
        return 0
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
