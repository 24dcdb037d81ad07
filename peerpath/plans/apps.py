from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "peerpath.plans"
    label = "plans"
