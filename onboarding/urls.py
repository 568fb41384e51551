from django.urls import path

from onboarding import views

urlpatterns = [
    path("app/", views.app_home, name="app_home"),
    path("onboarding/about-you/", views.questionnaire, name="onboarding_questionnaire"),
    path("onboarding/plan/", views.choose_plan, name="onboarding_plan"),
]

# Creating or joining an organisation keeps its names in the "orgs" namespace (orgs:start,
# orgs:invitation, ...); config/urls.py puts them there.
org_urlpatterns = [
    path("orgs/new/", views.start, name="start"),
    path("orgs/requests/<uuid:public_id>/cancel/", views.join_request_cancel, name="join_request_cancel"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
