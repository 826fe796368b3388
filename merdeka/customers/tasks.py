from __future__ import annotations

from django_tasks import task

from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.customers.stats import name_ranks_refresh, rfm_refresh


@task()
def refresh_workspace(shop_id: int) -> dict:
    """RFM groups and the name order of a shop (after imports and edits; also what
    ``merdeka rfm`` runs). Numbers of the touched customers are refreshed before."""
    shop = Shop.objects.get(pk=shop_id)
    with shop_scope(shop):
        groups = rfm_refresh(shop=shop)
        name_ranks_refresh(shop=shop)
    return groups
