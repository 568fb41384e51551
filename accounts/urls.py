from django.urls import path

from accounts import views

urlpatterns = [
    path("app/", views.app_home, name="app_home"),
    path("onboarding/about-you/", views.questionnaire, name="onboarding_questionnaire"),
    path("onboarding/plan/", views.choose_plan, name="onboarding_plan"),
    path("account/", views.profile, name="profile"),
]
