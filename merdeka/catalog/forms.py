from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from merdeka.catalog.models import StockLocation
from merdeka.catalog.services import MAX_PHOTOS
from merdeka.core.forms import CleanCharField, IdField

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one input (a phone's gallery lets you pick a few at once)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"multiple": True, "accept": PHOTO_TYPES})
        )
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("A product can have at most 8 photos."))
        return [super(PhotosField, self).clean(item, initial) for item in files]


class ProductForm(forms.Form):
    name = CleanCharField(label=_("Product name"), max_length=120)
    description = CleanCharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(
        label=_("Photos"),
        help_text=_("JPEG, PNG or WebP, up to 10 MB each. Pick one or a few at once."),
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    is_published = forms.BooleanField(label=_("Show in the online shop"), required=False)

    def __init__(self, *args, categories=(), with_photos=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_photos:  # a saved product's page has its own photo section
            del self.fields["photos"]
        self.fields["category"].choices = [("", _("No category"))] + [
            (c.pk, c.name) for c in categories
        ]


class VariantForm(forms.Form):
    id = IdField(required=False, widget=forms.HiddenInput)
    size = CleanCharField(label=_("Size"), max_length=60, required=False)
    flavour = CleanCharField(label=_("Flavour"), max_length=60, required=False)
    price = forms.DecimalField(
        label=_("Price (Rp)"),
        max_digits=12,
        decimal_places=0,
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(999_999_999))],
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )
    sku = forms.CharField(label=_("SKU"), max_length=60, required=False)
    weight_grams = forms.IntegerField(
        label=_("Weight (grams)"), min_value=0, max_value=100_000, required=False
    )
    track_stock = forms.BooleanField(label=_("Count stock"), required=False, initial=True)
    low_stock_threshold = forms.IntegerField(
        label=_("Tell me when fewer than this are left"),
        min_value=0,
        max_value=100_000,
        required=False,
        help_text=_("An email and a note on the home page, once. 0: never. Empty: 5."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )


class BaseVariantFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE", False)]
        if not kept:
            raise forms.ValidationError(_("A product needs at least one variant with a price."))


VariantFormSet = forms.formset_factory(
    VariantForm, formset=BaseVariantFormSet, extra=1, can_delete=True, max_num=30, validate_max=True
)


class StockAdjustForm(forms.Form):
    variant = IdField(widget=forms.HiddenInput)
    location = IdField(widget=forms.HiddenInput)
    on_hand = forms.IntegerField(label=_("In stock"), min_value=0, max_value=1_000_000)
    note = CleanCharField(label=_("Why (optional)"), max_length=200, required=False)


class CategoryForm(forms.Form):
    name = CleanCharField(label=_("New category"), max_length=80)


class LocationForm(forms.Form):
    name = CleanCharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=StockLocation.Kind.choices)
    is_default = forms.BooleanField(label=_("Sell from here first"), required=False)
    sells_online = forms.BooleanField(
        label=_("Online orders take stock from here"), required=False, initial=True
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Add a photo"), help_text=_("JPEG, PNG or WebP, up to 10 MB."))
