from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "peerpath.access"
    label = "access"
    verbose_name = "Access to records"
