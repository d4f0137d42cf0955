use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::{extract::{Path, State}, http::StatusCode, routing::{get, post}, Json, Router};
use ledger_common::money::Cents;
use serde::Deserialize;

type Balances = Arc<Mutex<HashMap<String, Cents>>>;

#[derive(Deserialize)]
struct Transfer {
    from: String,
    to: String,
    amount: String,
}

async fn balance(State(b): State<Balances>, Path(account): Path<String>) -> String {
    b.lock().unwrap().get(&account).copied().unwrap_or_default().to_string()
}

async fn transfer(State(b): State<Balances>, Json(t): Json<Transfer>) -> StatusCode {
    let Some(amount) = Cents::parse(&t.amount) else {
        return StatusCode::UNPROCESSABLE_ENTITY;
    };
    let mut b = b.lock().unwrap();
    b.entry(t.from).or_default().0 -= amount.0;
    b.entry(t.to).or_default().0 += amount.0;
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() {
    let balances: Balances = Arc::default();
    let app = Router::new()
        .route("/accounts/:account", get(balance))
        .route("/transfers", post(transfer))
        .with_state(balances);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
