from django.urls import path

from licensing import views

app_name = "licensing"

ORG = "o/<slug:org_slug>/"
MINE = ORG + "creator/<uuid:public_id>/"

urlpatterns = [
    path(ORG + "creators/", views.directory, name="directory"),
    path(ORG + "creators/<uuid:public_id>/", views.creator, name="creator"),
    path(ORG + "licences/<uuid:public_id>/", views.licence, name="license"),
    path(ORG + "creator/", views.dashboard, name="creator_dashboard"),
    path(ORG + "creator/new/", views.creator_new, name="creator_new"),
    path(MINE + "profile/", views.profile_update, name="profile_update"),
    path(MINE + "terms/", views.terms_update, name="terms_update"),
    path(MINE + "payouts/", views.payouts_setup, name="payouts_setup"),
    path(MINE + "payout-now/", views.payout_now, name="payout_now"),
    path(
        ORG + "creator/licences/<uuid:public_id>/<str:answer>/",
        views.licence_answer,
        name="licence_answer",
    ),
]
