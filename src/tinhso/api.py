"""The JSON API: one NinjaAPI, each app adds its router. OpenAPI at /api/docs."""

from ninja import NinjaAPI

from .catalog.api import router as catalog_router
from .core.api import install_error_handlers
from .core.api import router as core_router
from .documents.api import router as documents_router
from .feedback.api import router as feedback_router
from .onestop.api_public import router as onestop_public_router
from .onestop.api_staff import router as onestop_staff_router
from .payments.api import router as payments_router
from .reporting.api import router as reporting_router

api = NinjaAPI(
    title="Tỉnh Số API",
    version="1",
    description="API của nền tảng Tỉnh Số: danh mục thủ tục hành chính, đơn vị hành chính, cơ quan, lịch làm việc.",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/procedures", catalog_router)
api.add_router("/", onestop_public_router)
api.add_router("/staff", onestop_staff_router)
api.add_router("/payments", payments_router)
api.add_router("/feedback", feedback_router)
api.add_router("/reporting", reporting_router)
api.add_router("/documents", documents_router)
