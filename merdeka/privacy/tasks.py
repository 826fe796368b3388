from __future__ import annotations

from django_tasks import task

from merdeka.core.models import Shop, User


@task()
def rotate_shop_keys(shop_id: int, actor_id: int | None = None) -> dict:
    """Background key rotation, started from the security page."""
    from merdeka.privacy.services import keys_rotate

    shop = Shop.objects.get(pk=shop_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    report = keys_rotate(shop=shop, actor=actor)
    return {
        "version": report.version,
        "rows": report.rows_reencrypted,
        "retired": report.retired_versions,
    }
