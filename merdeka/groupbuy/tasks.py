from __future__ import annotations

from django_tasks import task

from merdeka.core.models import Shop
from merdeka.groupbuy.models import CloseReason


@task()
def close_group(shop_id: int, group_id: int, now: str | None = None) -> bool:
    """Close one group whose deadline passed (queued by the scheduler)."""
    from datetime import datetime

    from merdeka.groupbuy.services import group_close  # services imports this module

    shop = Shop.objects.get(pk=shop_id)
    moment = datetime.fromisoformat(now) if now else None
    group = group_close(shop=shop, group_id=group_id, reason=CloseReason.DEADLINE, now=moment)
    return group is not None
