"""Background work of the exchange (django-tasks): send one outbox message; on failure the service schedules the
next try at its backoff time when the backend can defer (the database backend), and ``tinhso exchange deliver``
sends whatever is due in any case."""

from django_tasks import task


@task()
def deliver_message(message_id: int) -> dict:
    from .services import deliver_one

    return deliver_one(message_id).as_dict()
