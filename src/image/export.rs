//! `--image NAME:TAG`: getting the image out of the local Docker engine as a
//! `docker save` tar, through bollard.
//!
//! Nothing is ever pulled: an image that is not in the local store is an
//! error that says so. The download is bounded like any other input.

use super::Error;
use futures_util::StreamExt;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// Where bollard looks for the engine, in words for error messages.
pub fn engine_address() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => format!("DOCKER_HOST={h}"),
        _ => "unix:///var/run/docker.sock (DOCKER_HOST is not set)".to_string(),
    }
}

/// Writes `docker save NAME` to `dest`, refusing more than `max_bytes`.
pub fn export(name: &str, dest: &Path, max_bytes: u64) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Engine(format!("cannot start the Docker client: {e}")))?;
    rt.block_on(export_async(name, dest, max_bytes))
}

async fn export_async(name: &str, dest: &Path, max_bytes: u64) -> Result<(), Error> {
    let unreachable = |e: &dyn std::fmt::Display| {
        Error::Engine(format!(
            "no Docker engine reachable at {}: {e}\n  start Docker or set DOCKER_HOST, or save the image first (`docker save {name} -o image.tar`) and pass `--image image.tar`",
            engine_address()
        ))
    };
    let docker = bollard::Docker::connect_with_defaults().map_err(|e| unreachable(&e))?;
    match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(unreachable(&e)),
        Err(_) => return Err(unreachable(&format!("no answer within {PING_TIMEOUT:?}"))),
    }
    if let Err(e) = docker.inspect_image(name).await {
        return Err(Error::NotAnImage(format!(
            "image `{name}` is not in the local Docker engine ({e}); wasmfit never pulls: `docker pull {name}` first"
        )));
    }
    let mut file = std::fs::File::create(dest).map_err(|e| Error::io(dest, e))?;
    let mut written: u64 = 0;
    let mut stream = docker.export_image(name);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Error::Engine(format!(
                "exporting `{name}` from the Docker engine failed: {e}"
            ))
        })?;
        written += chunk.len() as u64;
        if written > max_bytes {
            return Err(Error::NotAnImage(format!(
                "`{name}` exports to more than {max_bytes} bytes; not scanned"
            )));
        }
        file.write_all(&chunk).map_err(|e| Error::io(dest, e))?;
    }
    file.flush().map_err(|e| Error::io(dest, e))?;
    Ok(())
}
