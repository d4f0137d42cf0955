from fastapi import FastAPI

from orders.routes import router

app = FastAPI(title="shop")
app.include_router(router)


@app.get("/healthz")
def healthz():
    return {"ok": True}
