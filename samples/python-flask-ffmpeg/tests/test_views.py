import io

from app import create_app


def test_healthz_lists_profiles():
    client = create_app().test_client()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert "web-720p" in body["profiles"]


def test_transcode_requires_file():
    client = create_app().test_client()
    resp = client.post("/transcode/web-720p", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400


def test_unknown_profile_is_404():
    client = create_app().test_client()
    data = {"file": (io.BytesIO(b"\x00"), "x.mp4")}
    resp = client.post("/transcode/gif", data=data, content_type="multipart/form-data")
    assert resp.status_code == 404
