from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "peerpath.organizations"
    label = "organizations"
