"""Background work of the one-stop-shop (django-tasks, database backend): notifications."""

from django_tasks import task


@task()
def notify(dossier_id: int, kind: str, extra: dict) -> None:
    from .notifications import send_dossier_notification

    send_dossier_notification(dossier_id, kind, extra)
