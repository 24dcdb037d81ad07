from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "peerpath.outcomes"
    label = "outcomes"
    verbose_name = "Recovery outcomes"
