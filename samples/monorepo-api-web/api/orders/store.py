import httpx


class Store:
    """Orders kept by the inventory service, reached over HTTP."""

    def __init__(self, base="http://inventory:8080"):
        self.base = base

    async def get(self, order_id):
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{self.base}/orders/{order_id}")
            return r.json() if r.status_code == 200 else None

    async def put(self, body):
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{self.base}/orders", json=body)
            return r.json()
