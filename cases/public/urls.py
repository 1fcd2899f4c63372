"""The public petition pages, under a language prefix (/en/petitions/…, /ug/petitions/…),
and their JSON documents without one (reunite/urls.py wires both).

The signing path's URLs (`cases.public.sign_views.sign_urlpatterns`) join the pages
when that module exists; until then the pages work without a form.
"""

from django.urls import URLPattern, URLResolver, path

from cases.public import share, views

app_name = "public"

try:
    from cases.public.sign_views import sign_urlpatterns
except ModuleNotFoundError as error:  # only the module's absence; its own errors show
    if error.name != "cases.public.sign_views":
        raise
    sign_urlpatterns: list[URLPattern | URLResolver] = []

urlpatterns = [
    # First: petitions/resend/ would otherwise be read as the petition "resend".
    *sign_urlpatterns,
    path("petitions/", views.petition_list, name="petition_list"),
    path("petitions/<slug:slug>/", views.petition_detail, name="petition_detail"),
]

# Language-neutral documents, included as the "public_data" namespace.
data_urlpatterns = (
    [
        path("petitions/<slug:slug>/count.json", views.petition_count, name="count"),
        path("petitions/<slug:slug>.json", views.petition_open_data, name="open_data"),
        path("petitions/<slug:slug>/share.jpg", share.petition_share_image, name="share_image"),
    ],
    "public_data",
)
