"""Email over SMTP, through Django's SMTP backend configured by ``MERDEKA_SMTP_*``.

Every marketing mail carries the unsubscribe link in its text and in the
``List-Unsubscribe`` header (with RFC 8058 one-click), so mail apps show their own
"unsubscribe" button.
"""

from __future__ import annotations

import smtplib
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

from merdeka.core.phone import normalize_email
from merdeka.outreach.channels.base import Channel, ChannelError, Outgoing, SendResult
from merdeka.privacy.models import ConsentChannel


def smtp_settings() -> dict:
    return settings.MERDEKA_SMTP


def smtp_connection():
    conf = smtp_settings()
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=conf["host"],
        port=conf["port"],
        username=conf["user"] or None,
        password=conf["password"] or None,
        use_tls=conf["tls"] and not conf["ssl"],
        use_ssl=conf["ssl"],
        timeout=conf.get("timeout", 20),
        fail_silently=False,
    )


class EmailChannel(Channel):
    kind = "email"
    consent_channel = ConsentChannel.EMAIL

    def address(self, customer) -> str | None:
        return normalize_email(customer.email)

    def unavailable_reason(self, shop) -> str | None:
        conf = smtp_settings()
        if not conf["host"] or not conf["from"]:
            return str(
                _(
                    "No mail server is set up yet, so email cannot be sent. Ask whoever "
                    "runs Merdeka to set one up."
                )
            )
        return None

    def footer(self, unsubscribe_url: str) -> str:
        with override("id"):
            return gettext("To stop receiving these emails: %(url)s") % {"url": unsubscribe_url}

    def send(self, message: Outgoing) -> SendResult:
        reason = self.unavailable_reason(message.shop)
        if reason:
            raise ChannelError("smtp_not_configured", reason, pause=True)
        conf = smtp_settings()
        sender = conf["from"]
        message_id = make_msgid(domain=sender.rsplit("@", 1)[-1])
        headers = {"Message-ID": message_id}
        if message.unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail = EmailMessage(
            subject=" ".join(message.subject.split()),
            body=message.body,
            from_email=formataddr((message.shop.name, sender)),
            to=[message.address],
            headers=headers,
            connection=smtp_connection(),
        )
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            temporary = bool(codes) and all(400 <= code < 500 for code in codes)
            raise ChannelError(
                f"smtp_{codes[0] if codes else 'refused'}",
                str(_("The mail server refused this address.")),
                retryable=temporary,
            ) from None
        except smtplib.SMTPAuthenticationError:
            raise ChannelError(
                "smtp_auth",
                str(_("The mail server refused Merdeka's user name or password.")),
                pause=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(
                f"smtp_{exc.smtp_code}",
                str(
                    _("The mail server answered with an error (%(code)s).")
                    % {"code": exc.smtp_code}
                ),
                retryable=400 <= exc.smtp_code < 500,
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError):
            raise ChannelError(
                "smtp_unreachable",
                str(_("The mail server could not be reached; trying again later.")),
                retryable=True,
            ) from None
        return SendResult(provider_message_id=message_id.strip("<>"))
