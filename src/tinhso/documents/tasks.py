"""Background work of the document office (django-tasks, database backend): retraining the classifier."""

from django_tasks import task


@task()
def train_classifier(agency_id: int | None = None) -> dict:
    """Retrain the type/sector model of one agency (the province's when ``agency_id`` is None)."""
    from .classify import train_scope

    return train_scope(agency_id)
