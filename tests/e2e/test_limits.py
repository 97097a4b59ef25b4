"""OTP and enrolment limits (issue 11, item 10): every 429 carries Retry-After."""

from conftest import phone


def enrol(s, p=None, key="admin", **kw):
    return s.post("/v1/pos/enroll", dict({"phone": p or phone(), "send_code": False}, **kw),
                  key=key)


def test_a_locked_code_says_when_to_come_back(start_server):
    s = start_server()
    p = phone()
    assert enrol(s, p, send_code=True).status_code == 201
    for i in range(5):
        r = s.post("/v1/pos/verify", {"phone": p, "code": f"99999{i}"})
        assert r.json()["error"]["code"] == "code_wrong"
    r = s.post("/v1/pos/verify", {"phone": p, "code": "999999"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_attempts_exceeded"
    # Locked for the rest of the code's five minutes; a new code may be asked at once.
    assert 1 <= int(r.headers["Retry-After"]) <= 300, r.headers
    assert s.post("/v1/pos/otp", {"phone": p}).status_code == 202
