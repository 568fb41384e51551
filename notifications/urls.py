from django.urls import path

from notifications import views

app_name = "notifications"

N = "o/<slug:org_slug>/notifications/"

urlpatterns = [
    path(N, views.notification_list, name="list"),
    path(N + "read/", views.notifications_read_all, name="read_all"),
    path(N + "bell/", views.bell, name="bell"),
    path(N + "preferences/", views.preferences, name="preferences"),
    path(N + "<uuid:public_id>/read/", views.notification_read, name="read"),
]
