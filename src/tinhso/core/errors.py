"""Domain errors with stable codes: the API returns the code, the UI shows the Vietnamese message."""


class DomainError(Exception):
    """A refused operation. ``code`` is stable (API clients rely on it); ``message`` is for people, in Vietnamese."""

    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "Bạn không có quyền thực hiện thao tác này.", code: str = "forbidden"):
        super().__init__(code, message)
