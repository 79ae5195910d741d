"""Signing identities: which key on which token signs for an agency (its seal) or for a person (their signature)."""

from cryptography import x509
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import Agency


class SigningIdentity(models.Model):
    """A key pair held on a PKCS#11 token (never here) and its certificate, for an agency or one of its people.

    ``image`` is the PNG drawn on the page: the seal for an agency, the handwritten signature for a person; a path
    relative to the signing folder (``DIR/images``) or absolute.
    """

    class Kind(models.TextChoices):
        AGENCY = "agency", _("Chứng thư số cơ quan, tổ chức")
        PERSONAL = "personal", _("Chứng thư số cá nhân")

    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="signing_identities"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ký"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="signing_identities",
    )
    full_name = models.CharField(_("tên trên chứng thư"), max_length=250)
    title = models.CharField(
        _("chức vụ"), max_length=200, blank=True,
        help_text=_("Dòng chức vụ trên văn bản (ví dụ “KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH”), để đặt ảnh chữ ký."),
    )
    token_label = models.CharField(_("nhãn thiết bị ký số"), max_length=32, blank=True,
                                   help_text=_("Để trống: thiết bị mặc định của hệ thống."))
    key_label = models.CharField(_("nhãn khóa"), max_length=64)
    certificate_pem = models.TextField(_("chứng thư số (PEM)"))
    serial_hex = models.CharField(_("số hiệu chứng thư"), max_length=64, editable=False)
    not_after = models.DateTimeField(_("hết hạn"), null=True, editable=False)
    image = models.CharField(_("ảnh chữ ký/con dấu"), max_length=300, blank=True)
    is_active = models.BooleanField(_("đang sử dụng"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư số ký văn bản")
        verbose_name_plural = _("chứng thư số ký văn bản")
        ordering = ["agency__code", "kind", "full_name"]
        constraints = [
            models.UniqueConstraint(fields=["token_label", "key_label"], name="signing_identity_key_unique"),
            models.UniqueConstraint(
                fields=["agency"], condition=Q(kind="agency", is_active=True), name="signing_identity_one_seal"
            ),
            models.UniqueConstraint(
                fields=["agency", "user"], condition=Q(kind="personal", is_active=True, user__isnull=False),
                name="signing_identity_one_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.full_name}"

    def save(self, *args, **kwargs):
        if self.certificate_pem:
            cert = self.certificate
            self.serial_hex = format(cert.serial_number, "x")
            self.not_after = cert.not_valid_after_utc
        super().save(*args, **kwargs)

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())
