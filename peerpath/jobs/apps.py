from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "peerpath.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # Each business area defines its job kinds in a `jobs` module.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
