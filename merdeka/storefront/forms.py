from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from merdeka.core import regions
from merdeka.core.forms import CleanCharField, IdField
from merdeka.core.phone import format_phone, is_masked, normalize_phone
from merdeka.orders.models import DeliveryMethod, PaymentMethod
from merdeka.orders.services import Buyer
from merdeka.privacy.models import ConsentChannel
from merdeka.storefront import selectors
from merdeka.storefront.services import accounts_text

CONSENT_TEXT_VERSION = "checkout-2026-12"


class CartAddForm(forms.Form):
    variant = IdField()
    quantity = forms.IntegerField(
        min_value=1, max_value=999, initial=1, label=_("Quantity"), required=False
    )


class CartUpdateForm(forms.Form):
    variant = IdField()
    quantity = forms.IntegerField(min_value=0, max_value=999)


def _region_choices(parent_code: str, placeholder) -> list[tuple[str, str]]:
    return [("", placeholder)] + [(r.code, r.name) for r in regions.children(parent_code)]


class RegionFields:
    """Province -> city -> district -> village selects whose choices follow the data."""

    LEVELS = (
        ("province", _("Province"), _("Choose a province")),
        ("city", _("Regency / city"), _("Choose a regency or city")),
        ("district", _("District (kecamatan)"), _("Choose a district")),
        ("village", _("Village (kelurahan / desa)"), _("Choose a village")),
    )

    @classmethod
    def chosen(cls, data) -> dict[str, str]:
        """The consistent prefix of what was picked: a city outside the province is dropped."""
        picked: dict[str, str] = {}
        parent = ""
        for name, _label, _placeholder in cls.LEVELS:
            value = (data.get(name) or "").strip() if data else ""
            if not regions.is_child(parent, value):
                break
            picked[name] = value
            parent = value
        return picked

    @classmethod
    def add_to(cls, form, data) -> None:
        picked = cls.chosen(data)
        parent = ""
        for name, label, placeholder in cls.LEVELS:
            if name != "province" and not parent:
                choices = [("", placeholder)]
            else:
                choices = _region_choices(parent, placeholder)
            form.fields[name] = forms.ChoiceField(label=label, choices=choices, required=False)
            if name in picked:
                form.fields[name].initial = picked[name]
            parent = picked.get(name, "")


class BuyerContactMixin:
    """The cleaning of a buyer's ``name`` and ``whatsapp`` fields (E.164 out), shared by
    the checkout, the group buy forms and the seller's manual order."""

    name_missing = _("Write your name.")

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError(self.name_missing)
        return name

    def clean_whatsapp(self):
        value = self.cleaned_data["whatsapp"]
        if is_masked(value) or normalize_phone(value) is None:
            raise forms.ValidationError(
                _("This is not a WhatsApp number we can reach. Write it like 0812-3456-7890.")
            )
        return normalize_phone(value)


class CheckoutForm(BuyerContactMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    name = CleanCharField(label=_("Your name"), max_length=100)
    whatsapp = forms.CharField(
        label=_("WhatsApp number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("The seller confirms your order here."),
    )
    delivery = forms.ChoiceField(label=_("How do you get it?"), widget=forms.RadioSelect)
    street = CleanCharField(
        label=_("Street address"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
        help_text=_("Street, house number, RT/RW, landmark."),
    )
    payment = forms.ChoiceField(
        label=_("How do you pay?"), widget=forms.RadioSelect, required=False
    )
    note = CleanCharField(
        label=_("Note for the seller"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    marketing_whatsapp = forms.BooleanField(
        label=_("Send me news and offers from this shop on WhatsApp"), required=False
    )
    marketing_email = forms.BooleanField(
        label=_("Send me news and offers from this shop by email"), required=False
    )

    def __init__(self, *args, storefront, **kwargs):
        super().__init__(*args, **kwargs)
        self.storefront = storefront
        delivery = []
        if storefront.pickup_enabled:
            delivery.append((DeliveryMethod.PICKUP, _("Pick up at the shop")))
        if storefront.courier_enabled:
            delivery.append((DeliveryMethod.COURIER, _("Send by courier")))
        if storefront.cod_enabled:
            delivery.append((DeliveryMethod.COD, _("Cash on delivery (COD)")))
        self.fields["delivery"].choices = delivery
        if len(delivery) == 1:
            self.fields["delivery"].initial = delivery[0][0]
        payment = []
        if storefront.qris_payload:
            payment.append((PaymentMethod.QRIS, _("QRIS (any bank or e-wallet app)")))
        if storefront.bank_accounts:
            payment.append((PaymentMethod.TRANSFER, _("Bank transfer")))
        if storefront.ewallets:
            payment.append((PaymentMethod.EWALLET, _("E-wallet")))
        self.fields["payment"].choices = payment
        if payment:
            self.fields["payment"].initial = payment[0][0]
        RegionFields.add_to(self, self.data if self.is_bound else None)
        order = ["token", "name", "whatsapp", "delivery", "province", "city", "district",
                 "village", "street", "payment", "note", "email", "marketing_whatsapp",
                 "marketing_email"]  # fmt: skip
        self.order_fields(order)

    def initial_choices(self) -> dict:
        """The choices an unsent form starts with (the only way of delivery, if the
        shop offers one): what the checkout's first total is computed for."""
        return {"delivery": self.fields["delivery"].initial or ""}

    def clean(self):
        data = super().clean()
        delivery = data.get("delivery")
        if delivery in (DeliveryMethod.COURIER, DeliveryMethod.COD):
            picked = RegionFields.chosen(self.data)
            for name, _label, _placeholder in RegionFields.LEVELS:
                if name not in picked:
                    self.add_error(name, _("Choose one from the list."))
                    break
            if not (data.get("street") or "").strip():
                self.add_error("street", _("Write the street address for the courier."))
            for name in ("province", "city", "district", "village"):
                data[name] = picked.get(name, "")
        else:
            for name in ("province", "city", "district", "village"):
                data[name] = ""
        if delivery == DeliveryMethod.COD:
            data["payment"] = PaymentMethod.COD
        elif delivery and not data.get("payment"):
            if self.fields["payment"].choices:
                self.add_error("payment", _("Choose how you pay."))
            else:
                self.add_error(
                    "delivery", _("This shop takes payment on delivery only. Choose COD.")
                )
        if data.get("marketing_email") and not data.get("email"):
            self.add_error("email", _("Write your email to get news by email."))
        return data

    def marketing_channels(self) -> frozenset[str]:
        chosen = set()
        if self.cleaned_data.get("marketing_whatsapp"):
            chosen.add(ConsentChannel.WHATSAPP)
        if self.cleaned_data.get("marketing_email"):
            chosen.add(ConsentChannel.EMAIL)
        return frozenset(chosen)

    def buyer_and_fee(self) -> tuple[Buyer, Decimal] | tuple[None, None]:
        """The buyer of a valid form (Kemendagri region names, the marketing consent
        given) and the shop's delivery fee to them; ``(None, None)``, with the error on
        the city, when the shop does not send there."""
        data = self.cleaned_data
        fee = Decimal(0)
        if data["delivery"] in (DeliveryMethod.COURIER, DeliveryMethod.COD):
            fee = selectors.shipping_fee(
                shop=self.storefront.shop,
                settings=self.storefront,
                province_code=data["province"],
                city_code=data["city"],
            )
            if fee is None:
                self.add_error(
                    "city",
                    _("The shop does not send to this city yet. Choose pick-up or ask the seller."),
                )
                return None, None
        village = regions.region(data["village"])
        names = {
            k: (regions.region(data[k]).name if data[k] else "")
            for k in ("province", "city", "district")
        }
        buyer = Buyer(
            name=data["name"],
            phone=data["whatsapp"],
            email=data.get("email") or "",
            street=data.get("street") or "",
            village=village.name if village else "",
            district=names["district"],
            city=names["city"],
            province=names["province"],
            postal_code=village.postal_code if village else "",
            marketing=self.marketing_channels(),
        )
        return buyer, fee


class StorefrontSettingsForm(forms.Form):
    slug = forms.SlugField(label=_("Address of the online shop"), max_length=60)
    is_open = forms.BooleanField(label=_("The online shop takes orders"), required=False)
    tagline = CleanCharField(label=_("Short description"), max_length=160, required=False)
    whatsapp = forms.CharField(
        label=_("Shop WhatsApp number"),
        max_length=30,
        required=False,
        help_text=_("Buyers confirm their orders to this number."),
    )
    qris = forms.CharField(
        label=_("Your static QRIS (the text inside the QR code)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "Paste the text of the QRIS sticker your bank or e-wallet gave you; it starts with "
            "000201. Buyers get a QR with the exact amount of their order. Money goes straight "
            "to you, never through Merdeka."
        ),
    )
    qris_image = forms.FileField(
        label=_("Or a photo or screenshot of your QRIS"),
        required=False,
        help_text=_("Merdeka reads the code from the picture; the picture is not kept."),
    )
    banks = CleanCharField(
        label=_("Bank accounts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line: bank | account number | account holder."),
    )
    ewallets = CleanCharField(
        label=_("E-wallets"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One a line: e-wallet | number | account holder, e.g. DANA | 081234567890 | Ika."
        ),
    )
    pickup_enabled = forms.BooleanField(label=_("Buyers may pick up"), required=False)
    pickup_address = CleanCharField(
        label=_("Pick-up address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    courier_enabled = forms.BooleanField(label=_("Send by courier"), required=False)
    courier_flat_fee = forms.DecimalField(
        label=_("Courier fee where no rate below applies (Rp)"),
        required=False,
        max_digits=12,
        decimal_places=0,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10_000_000))],
        help_text=_("Leave empty to ship only where a rate is listed."),
    )
    rates = forms.CharField(
        label=_("Shipping rates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: province = fee, or province, city = fee."),
    )
    cod_enabled = forms.BooleanField(label=_("Cash on delivery (COD)"), required=False)

    @classmethod
    def initial_for(cls, settings, rates: str) -> dict:
        return {
            "slug": settings.slug,
            "is_open": settings.is_open,
            "tagline": settings.tagline,
            "whatsapp": format_phone(settings.whatsapp),
            "qris": settings.qris_payload,
            "banks": accounts_text(settings.bank_accounts),
            "ewallets": accounts_text(settings.ewallets),
            "pickup_enabled": settings.pickup_enabled,
            "pickup_address": settings.pickup_address,
            "courier_enabled": settings.courier_enabled,
            "courier_flat_fee": settings.courier_flat_fee,
            "rates": rates,
            "cod_enabled": settings.cod_enabled,
        }
