import { useEffect, useState } from "preact/hooks";

export function Orders() {
  const [orders, setOrders] = useState<unknown[]>([]);
  useEffect(() => {
    fetch("/api/orders/").then((r) => r.json()).then(setOrders);
  }, []);
  return <ul>{orders.map((o, i) => <li key={i}>{JSON.stringify(o)}</li>)}</ul>;
}
