import io

from PIL import Image

from service.model import _preprocess


def test_preprocess_shape():
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), "white").save(buf, format="PNG")
    tensor = _preprocess(Image.open(buf))
    assert tuple(tensor.shape) == (3, 224, 224)
