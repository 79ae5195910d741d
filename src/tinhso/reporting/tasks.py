"""Background work of the scoreboard (django-tasks): catching up with the one-stop shop's event log."""

from django_tasks import task


@task()
def refresh_scoreboard() -> dict:
    from . import services

    return services.refresh().as_dict()
