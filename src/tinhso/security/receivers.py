"""Signal receivers: session timestamps at sign-in, logout and password-change events. Recording only."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import conf, services
from .middleware import SILENT_LOGOUT


@receiver(user_logged_in, dispatch_uid="security.session_started")
def session_started(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        now = conf.now().timestamp()
        session[services.STARTED] = session[services.SEEN] = now


@receiver(user_logged_out, dispatch_uid="security.logged_out")
def logged_out(sender, request, user, **kwargs):
    if user is not None and getattr(user, "pk", None) and not getattr(request, SILENT_LOGOUT, False):
        services.record_event(services.Kind.LOGOUT, user=user, request=request)


def password_saved(sender, instance, created, **kwargs):
    """``set_password`` then ``save``: the new password is still in ``_password`` while saving (Django clears it
    afterwards). A hash upgrade at sign-in clears it before saving, so it is not counted."""
    if not created and getattr(instance, "_password", None) is not None:
        services.record_event(services.Kind.PASSWORD_CHANGED, user=instance)


post_save.connect(password_saved, sender=get_user_model(), dispatch_uid="security.password_saved")
