from contextlib import asynccontextmanager

from fastapi import FastAPI, File, HTTPException, UploadFile

from .model import Classifier

MAX_BATCH = 16
state: dict = {}


@asynccontextmanager
async def lifespan(_app: FastAPI):
    state["clf"] = Classifier()
    yield
    state.clear()


app = FastAPI(title="image-classifier", lifespan=lifespan)


@app.get("/healthz")
def healthz() -> dict:
    clf: Classifier = state["clf"]
    return {"device": str(clf.device), **clf.gpu_memory()}


@app.post("/v1/classify")
async def classify(files: list[UploadFile] = File(...), top_k: int = 5) -> dict:
    if not 1 <= len(files) <= MAX_BATCH:
        raise HTTPException(422, f"send between 1 and {MAX_BATCH} images")
    if not 1 <= top_k <= 20:
        raise HTTPException(422, "top_k must be 1-20")
    images = [await f.read() for f in files]
    try:
        results = state["clf"].predict(images, top_k)
    except OSError as err:  # PIL could not decode one of the uploads
        raise HTTPException(422, str(err)) from err
    return {"predictions": [
        {"filename": f.filename, "top": top} for f, top in zip(files, results)
    ]}
