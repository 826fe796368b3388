from __future__ import annotations

from django_tasks import task

from merdeka.core.models import Shop, User
from merdeka.privacy.services import keys_rotate


@task()
def rotate_shop_keys(shop_id: int, actor_id: int | None = None) -> dict:
    """Background key rotation, started from the security page."""
    shop = Shop.objects.get(pk=shop_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    report = keys_rotate(shop=shop, actor=actor)
    return {
        "version": report.version,
        "rows": report.rows_reencrypted,
        "retired": report.retired_versions,
    }


@task()
def retention_sweep(shop_id: int, now: str | None = None) -> dict:
    """Erase the inactive customers of one shop (queued daily by the scheduler), judged
    at the moment the sweep was queued."""
    from datetime import datetime

    from merdeka.privacy.retention import retention_run  # retention imports this module

    moment = datetime.fromisoformat(now) if now else None
    report = retention_run(shop=Shop.objects.get(pk=shop_id), now=moment)
    return {"months": report.months, "erased": report.erased}
