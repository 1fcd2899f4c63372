"""The staff page "How governments answer", at /staff/responsiveness/ (cases/urls.py
includes it in the "staff" namespace)."""

from django.urls import path

from cases import responsiveness_views

urlpatterns = [
    path("", responsiveness_views.responsiveness_page, name="responsiveness"),
]
