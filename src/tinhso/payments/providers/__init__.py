"""Payment providers: the configured one (``TINHSO["PAYMENT"]["PROVIDER"]``) and the registry of known ones."""

from django.conf import settings
from django.utils.module_loading import import_string

from tinhso.core.errors import DomainError

from .base import Callback, CallbackRefused, PaymentProvider, SettlementRow

#: Known providers: code → class path. A province adds its bank's provider here (or in ``PAYMENT["PROVIDERS"]``).
PROVIDERS = {"sandbox": "tinhso.payments.providers.sandbox.SandboxProvider"}

__all__ = ["Callback", "CallbackRefused", "PaymentProvider", "SettlementRow", "get", "configured", "available"]


class ProviderUnavailable(DomainError):
    status = 503


def _config() -> dict:
    return settings.TINHSO.get("PAYMENT", {})


def available(code: str) -> bool:
    """Whether ``code`` may be used now (the sandbox only where it is enabled)."""
    registry = {**PROVIDERS, **_config().get("PROVIDERS", {})}
    if code not in registry:
        return False
    return code != "sandbox" or bool(_config().get("SANDBOX_ENABLED"))


def get(code: str) -> PaymentProvider:
    if not available(code):
        raise ProviderUnavailable("provider_unavailable", f"Cổng thanh toán “{code[:20]}” không được bật trên hệ thống "
                                                          "này.")
    registry = {**PROVIDERS, **_config().get("PROVIDERS", {})}
    return import_string(registry[code])()


def configured() -> PaymentProvider:
    """The provider new payments go to; ``ProviderUnavailable`` when online payment is not set up."""
    code = _config().get("PROVIDER", "")
    if not code or not available(code):
        raise ProviderUnavailable("payment_unavailable", "Thanh toán trực tuyến chưa được cấu hình trên hệ thống này. "
                                                         "Vui lòng nộp phí tại Bộ phận Một cửa.")
    return get(code)
