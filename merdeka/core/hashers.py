"""The password hasher of the test suite (settings.py puts it first when MERDEKA_TESTING).

Argon2 at Django's cost (two passes over 100 MiB, eight lanes) takes about 0.3 CPU
seconds a password, and nearly every test makes one (the personas ika, rina and citra)
or checks one (each sign-in, each wrong password of the lockout tests). This is the same
algorithm through the same code — argon2-cffi behind Django's Argon2PasswordHasher, the
same ``argon2$argon2id$...`` hashes, which the production hasher verifies (test_auth) —
at argon2's smallest cost. Never used outside the test suite (test_auth checks that the
settings of a real run keep Django's own). docs/decisions/test-suite-time.md
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class SuiteArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: argon2's least, 8 per lane
    parallelism = 1
