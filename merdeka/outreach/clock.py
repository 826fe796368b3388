"""The time outreach runs on: one function, so tests can move it (retries, windows)."""

from django.utils import timezone


def now():
    return timezone.now()
