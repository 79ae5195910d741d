"""Bảo mật: xác thực hai lớp, khóa đăng nhập, sự kiện bảo mật."""
