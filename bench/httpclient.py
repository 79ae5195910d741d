"""A signed-in client for scripts and benchmarks: the sign-in form, session and CSRF cookies, multipart bodies."""

import http.client
import re
import uuid

PASSWORD = "tinhso-demo-2026"


class Session:
    """A signed-in browser-like client: session and CSRF cookies, keep-alive."""

    def __init__(self, port: int, username: str):
        self.port, self.cookies = port, {}
        status, body = self.request("GET", "/dang-nhap/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        form = f"username={username}&password={PASSWORD}&csrfmiddlewaretoken={token}".encode()
        status, _ = self.request("POST", "/dang-nhap/", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed ({status})")

    def headers(self) -> dict:
        """The cookies and CSRF header of this session, for another client."""
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "X-CSRFToken": self.cookies.get("csrftoken", ""), "Referer": f"http://127.0.0.1:{self.port}/"}

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        headers["Referer"] = f"http://127.0.0.1:{self.port}/"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    for name, (filename, data) in files.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"
