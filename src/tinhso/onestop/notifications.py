"""Dossier notifications (placeholder until the notification module lands): nothing is sent yet."""


def send_dossier_notification(dossier_id: int, kind: str, extra: dict) -> None:
    return None
