from django.urls import path

from licensing import views

app_name = "licensing"

O = "o/<slug:org_slug>/"
MINE = O + "creator/<uuid:public_id>/"

urlpatterns = [
    path(O + "creators/", views.directory, name="directory"),
    path(O + "creators/<uuid:public_id>/", views.creator, name="creator"),
    path(O + "licences/<uuid:public_id>/", views.licence, name="license"),
    path(O + "creator/", views.dashboard, name="dashboard"),
    path(O + "creator/new/", views.creator_new, name="creator_new"),
    path(MINE + "profile/", views.profile_update, name="profile_update"),
    path(MINE + "terms/", views.terms_update, name="terms_update"),
    path(MINE + "payouts/", views.payouts_setup, name="payouts_setup"),
    path(MINE + "payout-now/", views.payout_now, name="payout_now"),
    path(
        O + "creator/licences/<uuid:public_id>/<str:answer>/",
        views.licence_answer,
        name="licence_answer",
    ),
]
