use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, put},
    Json, Router,
};
use serde::Deserialize;
use tracing_subscriber::EnvFilter;

mod flags;
use flags::{Evaluation, Flag};

type Flags = Arc<RwLock<HashMap<String, Flag>>>;

#[derive(Deserialize)]
struct Subject {
    subject: String,
}

async fn list(State(flags): State<Flags>) -> Json<Vec<Flag>> {
    let mut all: Vec<Flag> = flags.read().unwrap().values().cloned().collect();
    all.sort_by(|a, b| a.key.cmp(&b.key));
    Json(all)
}

async fn upsert(
    State(flags): State<Flags>,
    Path(key): Path<String>,
    Json(mut flag): Json<Flag>,
) -> Result<StatusCode, (StatusCode, String)> {
    if flag.rollout > 100 {
        return Err((StatusCode::UNPROCESSABLE_ENTITY, "rollout must be 0-100".into()));
    }
    flag.key = key.clone();
    let created = flags.write().unwrap().insert(key, flag).is_none();
    Ok(if created { StatusCode::CREATED } else { StatusCode::NO_CONTENT })
}

async fn evaluate(
    State(flags): State<Flags>,
    Path(key): Path<String>,
    Query(q): Query<Subject>,
) -> Result<Json<Evaluation>, StatusCode> {
    let flags = flags.read().unwrap();
    let flag = flags.get(&key).ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(flag.evaluate(&q.subject)))
}

async fn version() -> &'static str {
    env!("FLAGD_GIT_VERSION")
}

fn app(flags: Flags) -> Router {
    Router::new()
        .route("/flags", get(list))
        .route("/flags/:key", put(upsert))
        .route("/flags/:key/evaluate", get(evaluate))
        .route("/version", get(version))
        .route("/healthz", get(|| async { StatusCode::NO_CONTENT }))
        .with_state(flags)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::from_default_env())
        .json()
        .init();

    let addr = std::env::var("FLAGD_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, version = env!("FLAGD_GIT_VERSION"), "flagd-lite listening");
    axum::serve(listener, app(Flags::default())).await
}
