"""Outreach's services, one module per job (see each module).

For now every name the callers use is imported here too, so that the move changes
no caller; they move to the modules next.
"""

from merdeka.outreach.services.campaigns import (  # noqa: F401
    _deliveries_make,
    campaign_counts,
    campaign_prepare,
    campaign_preview,
    campaign_save,
    campaign_send,
    campaigns_prepare_stalled,
)
from merdeka.outreach.services.cloudapi import (  # noqa: F401
    template_delete,
    template_save,
    templates_sync,
    whatsapp_settings_save,
)
from merdeka.outreach.services.common import OutreachError, public_url  # noqa: F401
from merdeka.outreach.services.sending import (  # noqa: F401
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    backoff,
    deliveries_send_due,
    delivery_send,
    service_message_send,
    walink_mark_sent,
    window_open,
)
from merdeka.outreach.services.unsubscribe import (  # noqa: F401
    unsubscribe_confirm,
    unsubscribe_lookup,
    unsubscribe_token,
    unsubscribe_url,
)
from merdeka.outreach.services.webhooks import webhook_receive  # noqa: F401
