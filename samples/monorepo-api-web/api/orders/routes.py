from fastapi import APIRouter, HTTPException

from .store import Store

router = APIRouter(prefix="/orders")
store = Store()


@router.get("/{order_id}")
async def get_order(order_id: int):
    order = await store.get(order_id)
    if order is None:
        raise HTTPException(status_code=404)
    return order


@router.post("/")
async def create_order(body: dict):
    return await store.put(body)
