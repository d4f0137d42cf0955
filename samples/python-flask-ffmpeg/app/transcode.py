"""Thin wrappers around the ffmpeg/ffprobe binaries installed in the image."""

import json
import subprocess
from pathlib import Path

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

# Output profiles. "voice-bpf" band-pass filters speech for phone-line playback.
PROFILES = {
    "web-720p": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                 "-vf", "scale=-2:720", "-c:a", "aac", "-b:a", "128k",
                 "-movflags", "+faststart"],
    "audio-only": ["-vn", "-c:a", "libopus", "-b:a", "96k"],
    "voice-bpf": ["-vn", "-af", "highpass=f=300,lowpass=f=3400",
                  "-ac", "1", "-c:a", "libopus", "-b:a", "32k"],
}
EXTENSIONS = {"web-720p": ".mp4", "audio-only": ".ogg", "voice-bpf": ".ogg"}

# TODO: try `-hwaccel cuda` with h264_nvenc once the GPU node pool exists;
# libx264 on CPU keeps up with current upload volume.


class TranscodeError(RuntimeError):
    pass


def probe(src: Path) -> dict:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-print_format", "json",
         "-show_format", "-show_streams", str(src)],
        capture_output=True, check=False, timeout=30,
    )
    if out.returncode != 0:
        raise TranscodeError(out.stderr.decode(errors="replace").strip())
    return json.loads(out.stdout)


def transcode(src: Path, profile: str, timeout: int = 600) -> Path:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}")
    dst = src.with_name(src.stem + "-" + profile + EXTENSIONS[profile])
    cmd = [FFMPEG, "-hide_banner", "-nostdin", "-y", "-i", str(src),
           *PROFILES[profile], str(dst)]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").splitlines()[-5:]
        raise TranscodeError("\n".join(tail))
    return dst
