from __future__ import annotations

from django_tasks import task


@task()
def read_receipt(receipt_id: int) -> None:
    from merdeka.receipts.capture import receipt_process  # capture imports this module

    receipt_process(receipt_id=receipt_id)
