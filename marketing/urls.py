from django.urls import path

from marketing import views

app_name = "marketing"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("pricing/", views.pricing, name="pricing"),
    path("app/go/<slug:feature>/", views.feature_open, name="feature_open"),
    path("terms/", views.legal, {"document": "terms"}, name="terms"),
    path("privacy/", views.legal, {"document": "privacy"}, name="privacy"),
    path("acceptable-use/", views.legal, {"document": "acceptable_use"}, name="acceptable_use"),
    path("cookies/", views.legal, {"document": "cookies"}, name="cookies"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
