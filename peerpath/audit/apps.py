from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "peerpath.audit"
    label = "audit"
