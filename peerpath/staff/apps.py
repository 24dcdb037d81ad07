from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "peerpath.staff"
    label = "staff"
