from django.urls import path

from . import views

urlpatterns = [
    path("account/tokens/", views.tokens, name="api-tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="api-token-revoke"),
]
