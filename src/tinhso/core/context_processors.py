from django.conf import settings
from django.core.cache import cache

from .models import Agency
from .services import PROVINCE_NAME_CACHE_KEY


def _province_name() -> str:
    committee = (Agency.objects.filter(kind=Agency.Kind.PROVINCIAL_COMMITTEE, parent__isnull=True, is_active=True)
                 .select_related("unit").first())
    if committee is None:
        return ""
    return committee.unit.name if committee.unit_id else committee.name


def platform(request):
    """The platform's name and the province it serves (cached: it changes only when the agency tree changes)."""
    return {
        "platform_name": settings.TINHSO["PLATFORM_NAME"],
        "province_name": cache.get_or_set(PROVINCE_NAME_CACHE_KEY, _province_name, 300),
    }
