"""The staff export page and the downloads of exports made in the background, under
/staff/exports/ (cases/urls.py includes them in the "staff" namespace)."""

from django.urls import path

from cases.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.export_page, name="page"),
    path("confirm/", views.export_reauthenticated, name="reauthenticated"),
    path("downloads/<uuid:download_id>/", views.export_download, name="download"),
]
