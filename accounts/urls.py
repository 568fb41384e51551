from django.urls import path

from accounts import views

urlpatterns = [
    path("account/", views.profile, name="profile"),
]
