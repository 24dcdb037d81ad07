from django.apps import AppConfig


class AuthorizationsConfig(AppConfig):
    name = "peerpath.authorizations"
    label = "authorizations"
