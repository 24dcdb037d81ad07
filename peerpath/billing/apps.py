from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "peerpath.billing"
    label = "billing"
