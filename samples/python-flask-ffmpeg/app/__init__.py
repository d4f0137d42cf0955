from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.from_prefixed_env("TRANSCODER")
    app.config.setdefault("MAX_CONTENT_LENGTH", 512 * 1024 * 1024)

    from .views import bp

    app.register_blueprint(bp)
    return app
