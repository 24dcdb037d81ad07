from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "peerpath.people"
    label = "people"
