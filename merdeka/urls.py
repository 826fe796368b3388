from django.urls import include, path

from merdeka.core import disclosure, twofactor_views
from merdeka.core import views as core_views
from merdeka.customers import views as customer_views
from merdeka.imports import mapping_views
from merdeka.imports import views as import_views
from merdeka.privacy import views as privacy_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("masuk/", core_views.LoginView.as_view(), name="login"),
    path("masuk/kode/", twofactor_views.login_verify, name="login_verify"),
    path("akun/dua-langkah/", twofactor_views.two_factor, name="two_factor"),
    path("akun/dua-langkah/pasang/", twofactor_views.two_factor_enrol, name="two_factor_enrol"),
    path(
        "akun/dua-langkah/matikan/", twofactor_views.two_factor_disable, name="two_factor_disable"
    ),
    path(
        "akun/dua-langkah/kode-cadangan/",
        twofactor_views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("keluar/", core_views.logout_view, name="logout"),
    path("akun/kata-sandi/", core_views.password_change, name="password_change"),
    path("toko/ganti/", core_views.shop_switch, name="shop_switch"),
    path("toko/pengaturan/", core_views.shop_settings, name="shop_settings"),
    path("tim/", core_views.staff, name="staff"),
    path("tim/ekspor/", core_views.staff_export, name="staff_export"),
    path("tim/<int:membership_id>/hapus/", core_views.staff_remove, name="staff_remove"),
    path("tim/<int:membership_id>/peran/", core_views.staff_role, name="staff_role"),
    path(
        "tim/<int:membership_id>/sandi-baru/",
        core_views.staff_password_reset,
        name="staff_password_reset",
    ),
    path("pelanggan/", customer_views.customer_list, name="customer_list"),
    path("pelanggan/baru/", customer_views.customer_add, name="customer_add"),
    path("pelanggan/<int:customer_id>/", customer_views.customer_detail, name="customer_detail"),
    path("pelanggan/tinjau/", customer_views.review_queue, name="review_queue"),
    path(
        "pelanggan/tinjau/<int:suggestion_id>/<str:decision>/",
        customer_views.review_decide,
        name="review_decide",
    ),
    path(
        "pelanggan/gabungan/<int:merge_id>/batal/",
        customer_views.merge_undo,
        name="merge_undo",
    ),
    path("pelanggan/", include("merdeka.customers.urls")),
    path("impor/", import_views.import_home, name="import_home"),
    path("impor/ekspor-semua/", import_views.shop_export, name="shop_export"),
    path("impor/ekspor-semua/<str:token>/", import_views.shop_export_job, name="shop_export_job"),
    path(
        "impor/ekspor-semua/<str:token>/unduh/",
        import_views.shop_export_download,
        name="shop_export_download",
    ),
    path("impor/<int:run_id>/", import_views.import_run, name="import_run"),
    path(
        "impor/<int:run_id>/berkas/<int:file_id>/petakan/",
        mapping_views.import_mapping,
        name="import_mapping",
    ),
    path(
        "impor/<int:run_id>/berkas/<int:file_id>/batal/",
        mapping_views.import_mapping_cancel,
        name="import_mapping_cancel",
    ),
    path("pesanan/", include("merdeka.orders.urls")),
    path("buku/", include("merdeka.books.urls")),
    path("nota/", include("merdeka.receipts.urls")),
    path("pemasok/", include("merdeka.suppliers.urls")),
    path("", include("merdeka.tax.urls")),
    path(
        "impor/pemetaan/<int:mapping_id>/hapus/",
        mapping_views.import_mapping_delete,
        name="import_mapping_delete",
    ),
    path("audit/", privacy_views.audit_log, name="audit_log"),
    path("keamanan/", privacy_views.security, name="security"),
    path("keamanan/putar-kunci/", privacy_views.keys_rotate, name="keys_rotate"),
    path("privasi/", include("merdeka.privacy.urls")),
    path("", include("merdeka.cards.urls")),
    path("produk/", include("merdeka.catalog.urls")),
    path("", include("merdeka.storefront.urls")),
    path("", include("merdeka.outreach.urls")),
    path("", include("merdeka.groupbuy.urls")),
    path("", include("merdeka.preorders.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(".well-known/security.txt", disclosure.security_txt, name="security_txt"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("kebijakan-keamanan/", disclosure.security_policy, name="security_policy"),
]
