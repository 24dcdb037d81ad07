from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "peerpath.services"
    label = "services"
