from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SecurityEvent


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Tên đăng nhập"), max_length=150)
    password = forms.CharField(label=_("Mật khẩu"), max_length=4096, strip=False, widget=forms.PasswordInput)

    error_messages = {"required": _("Hãy nhập tên đăng nhập và mật khẩu.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = self.error_messages["required"]


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Mã xác thực"), max_length=40,
                           error_messages={"required": _("Hãy nhập mã gồm 6 chữ số trên ứng dụng xác thực.")})


class EventFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại sự kiện"), required=False,
                             choices=[("", _("Tất cả"))] + list(SecurityEvent.Kind.choices))
    q = forms.CharField(label=_("Tên đăng nhập hoặc địa chỉ IP"), required=False, max_length=150)
    date_from = forms.DateField(label=_("Từ ngày (dd/mm/yyyy)"), required=False,
                                error_messages={"invalid": _("Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.")})
    date_to = forms.DateField(label=_("Đến ngày (dd/mm/yyyy)"), required=False,
                              error_messages={"invalid": _("Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.")})

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("“Từ ngày” phải trước hoặc bằng “Đến ngày”."))
        return data
