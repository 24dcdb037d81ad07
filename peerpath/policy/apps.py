from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "peerpath.policy"
    label = "policy"
