//! Vanity redirects (`/spring-sale` -> a campaign landing page), stored in Spin's
//! key-value store and managed through a token-protected admin API.
//!
//! Every request gets a fresh instance: there is no global state, no background
//! task and no thread pool to size.

use anyhow::Result;
use spin_sdk::http::{IntoResponse, Params, Request, Response, Router};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;
use spin_sdk::variables;

const MAX_SLUG: usize = 64;

#[http_component]
fn handle(req: Request) -> Response {
    let mut router = Router::new();
    router.get("/healthz", healthz);
    router.put("/admin/redirects/:slug", put_redirect);
    router.delete("/admin/redirects/:slug", delete_redirect);
    router.get("/:slug", follow);
    router.handle(req)
}

fn healthz(_req: Request, _params: Params) -> Response {
    Response::new(204, ())
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn authorized(req: &Request) -> Result<bool> {
    let expected = variables::get("admin_token")?;
    let given = req
        .header("authorization")
        .and_then(|v| v.as_str())
        .and_then(|v| v.strip_prefix("Bearer "));
    Ok(given == Some(expected.as_str()))
}

fn follow(_req: Request, params: Params) -> Result<impl IntoResponse> {
    let slug = params.get("slug").unwrap_or_default();
    if !valid_slug(slug) {
        return Ok(Response::new(404, "not found"));
    }
    let store = Store::open_default()?;
    Ok(match store.get(slug)? {
        Some(target) => Response::builder()
            .status(301)
            .header("location", String::from_utf8(target)?)
            .header("cache-control", "public, max-age=300")
            .build(),
        None => Response::new(404, "not found"),
    })
}

fn put_redirect(req: Request, params: Params) -> Result<impl IntoResponse> {
    if !authorized(&req)? {
        return Ok(Response::new(401, "unauthorized"));
    }
    let slug = params.get("slug").unwrap_or_default();
    if !valid_slug(slug) {
        return Ok(Response::new(400, "slug must be 1-64 of [A-Za-z0-9_-]"));
    }
    let target = std::str::from_utf8(req.body())?.trim();
    match url::Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            Store::open_default()?.set(slug, u.as_str().as_bytes())?;
            Ok(Response::new(204, ()))
        }
        _ => Ok(Response::new(422, "body must be an absolute http(s) URL")),
    }
}

fn delete_redirect(req: Request, params: Params) -> Result<impl IntoResponse> {
    if !authorized(&req)? {
        return Ok(Response::new(401, "unauthorized"));
    }
    let slug = params.get("slug").unwrap_or_default();
    Store::open_default()?.delete(slug)?;
    Ok(Response::new(204, ()))
}
