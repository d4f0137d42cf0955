import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, abort, jsonify, request, send_file
from werkzeug.utils import secure_filename

from .transcode import PROFILES, TranscodeError, probe, transcode

bp = Blueprint("transcoder", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok", "profiles": sorted(PROFILES)}


@bp.post("/probe")
def probe_upload():
    upload = request.files.get("file")
    if upload is None:
        abort(400, "multipart field 'file' is required")
    with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
        src = Path(tmp) / secure_filename(upload.filename or "input")
        upload.save(src)
        try:
            info = probe(src)
        except TranscodeError as err:
            return jsonify(error=str(err)), 422
    return jsonify(info)


@bp.post("/transcode/<profile>")
def transcode_upload(profile: str):
    if profile not in PROFILES:
        abort(404, f"unknown profile {profile}")
    upload = request.files.get("file")
    if upload is None:
        abort(400, "multipart field 'file' is required")

    tmp = Path(tempfile.mkdtemp(prefix="transcode-"))
    try:
        src = tmp / secure_filename(upload.filename or "input")
        upload.save(src)
        dst = transcode(src, profile)
        response = send_file(dst, as_attachment=True, download_name=dst.name)
        response.call_on_close(lambda: shutil.rmtree(tmp, ignore_errors=True))
        return response
    except TranscodeError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        return jsonify(error=str(err)), 422
