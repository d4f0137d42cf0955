//! The local Docker engine, through bollard, with the bench's hygiene rules
//! built in: every call has a timeout, everything created carries the label
//! `wasmfit.bench` (and this run's id), and `cleanup` removes by that label
//! (containers, tagged and dangling images) and by the ids the build stream
//! named, on success, failure and any stop signal. Nothing else is ever
//! touched. Once a stop is requested no container is created.

use crate::bench::error::{BenchError, BenchResult, Step};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, BuildImageOptionsBuilder, ListContainersOptionsBuilder,
    ListImagesOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder, StartContainerOptions, StatsOptionsBuilder,
};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The label on everything the bench creates.
pub const LABEL: &str = "wasmfit.bench";
/// The label holding this run's id, so a cleanup never removes another run's objects.
pub const RUN_LABEL: &str = "wasmfit.bench.run";

/// Timeout of one ordinary engine call.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Timeout of an image build (a Dockerfile build may compile the service).
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(900);
/// How long a build stream is still read after a stop signal.
pub const BUILD_DRAIN: Duration = Duration::from_secs(30);
/// How long the cleanup waits for an engine that stopped answering to come
/// back (a dockerd restart takes a few seconds).
pub const RETURN_WAIT: Duration = Duration::from_secs(10);

/// Image ids a classic build names for its steps (` ---> 1a2b3c4d5e6f`).
pub fn step_image_ids(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.trim().strip_prefix("---> "))
        .map(str::trim)
        .filter(|id| id.len() >= 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect()
}

#[derive(Default)]
struct Created {
    /// Whether a build or a create was ever sent (else there is nothing to remove).
    touched: bool,
    containers: Vec<String>,
    /// Tags and image ids (a build's steps and stages) this run made.
    images: Vec<String>,
}

#[derive(Clone)]
pub struct Engine {
    pub client: bollard::Docker,
    pub run_id: String,
    pub version: Option<String>,
    pub api: Option<String>,
    created: Arc<Mutex<Created>>,
}

/// Runs `fut` with a timeout; both failures become a `step` error, which
/// says so when the engine itself stopped answering.
pub async fn timed<T>(
    limit: Duration,
    step: Step,
    what: &str,
    fut: impl Future<Output = Result<T, bollard::errors::Error>>,
) -> BenchResult<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(BenchError::new(step, format!("{what}: {}", describe(&e)))),
        Err(_) => Err(BenchError::new(
            step,
            format!("{what}: no answer from the Docker engine within {limit:?}"),
        )),
    }
}

/// An engine error in words: a failure to reach the engine (refused, reset,
/// socket gone) is named as such, with the address, rather than as the
/// HTTP client's internals.
pub fn describe(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match e {
        E::IOError { .. }
        | E::HyperLegacyError { .. }
        | E::HyperResponseError { .. }
        | E::SocketNotFoundError(_)
        | E::RequestTimeoutError => format!(
            "the Docker engine at {} stopped answering ({e})",
            engine_address()
        ),
        _ => e.to_string(),
    }
}

/// A call made while connecting: its error, or no answer in time, says
/// plainly why the engine cannot be used.
async fn answer<T, E: std::fmt::Display>(
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!(
            "no Docker engine reachable at {}: {e}",
            engine_address()
        )),
        Err(_) => Err(format!(
            "the Docker engine at {} did not answer",
            engine_address()
        )),
    }
}

/// Where bollard looks for the engine, in words for error messages.
pub fn engine_address() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => format!("DOCKER_HOST={h}"),
        _ => "unix:///var/run/docker.sock (DOCKER_HOST is not set)".to_string(),
    }
}

impl Engine {
    /// Connects and agrees on an API version; `Err` says plainly why no
    /// engine could be used.
    pub async fn connect(run_id: &str) -> Result<Engine, String> {
        let client = bollard::Docker::connect_with_local_defaults()
            .map_err(|e| format!("no Docker engine reachable at {}: {e}", engine_address()))?
            .with_timeout(CALL_TIMEOUT);
        let client = answer(client.negotiate_version()).await?;
        let version = answer(client.version()).await?;
        Ok(Engine {
            client,
            run_id: run_id.to_string(),
            version: version.version,
            api: version.api_version,
            created: Arc::default(),
        })
    }

    pub fn labels(&self) -> HashMap<String, String> {
        HashMap::from([
            (LABEL.to_string(), "1".to_string()),
            (RUN_LABEL.to_string(), self.run_id.clone()),
        ])
    }

    /// True when the image is in the local store (nothing is ever pulled).
    pub async fn has_image(&self, name: &str) -> bool {
        matches!(
            tokio::time::timeout(CALL_TIMEOUT, self.client.inspect_image(name)).await,
            Ok(Ok(_))
        )
    }

    /// Builds an image from a tar build context; returns the tag. The
    /// engine is told never to pull. The image is recorded for cleanup
    /// before the build starts, so a half-finished build is removed too.
    pub async fn build_image(
        &self,
        context: Vec<u8>,
        dockerfile: &str,
        tag: &str,
    ) -> BenchResult<()> {
        self.created
            .lock()
            .map(|mut c| {
                c.touched = true;
                c.images.push(tag.to_string())
            })
            .ok();
        let options = BuildImageOptionsBuilder::default()
            .dockerfile(dockerfile)
            .t(tag)
            .rm(true)
            .forcerm(true)
            .labels(&self.labels())
            .build();
        let mut log = String::new();
        let run = async {
            let mut stream =
                self.client
                    .build_image(options, None, Some(bollard::body_full(context.into())));
            // After a stop the stream is still read to its end (bounded), so
            // every image the build made is named before the cleanup runs.
            let mut stop_seen: Option<std::time::Instant> = None;
            while let Some(item) = stream.next().await {
                if crate::bench::reap::stopping() {
                    let since = *stop_seen.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() > BUILD_DRAIN {
                        return Err("stopped".to_string());
                    }
                }
                match item {
                    Ok(info) => {
                        if let Some(id) = info.aux.as_ref().and_then(|a| a.id.clone()) {
                            self.record_image(&id);
                        }
                        if let Some(s) = info.stream {
                            for id in step_image_ids(&s) {
                                self.record_image(&id);
                            }
                            log.push_str(&s);
                        }
                        if let Some(detail) = info.error_detail {
                            let msg = detail
                                .message
                                .unwrap_or_else(|| "unknown error".to_string());
                            log.push_str(&msg);
                            return Err(msg);
                        }
                    }
                    Err(e) => return Err(describe(&e)),
                }
            }
            if stop_seen.is_some() {
                return Err("stopped".to_string());
            }
            Ok(())
        };
        match tokio::time::timeout(BUILD_TIMEOUT, run).await {
            Ok(Err(e)) if e == "stopped" => Err(BenchError::new(
                Step::Interrupted,
                "stopped during the image build",
            )),
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(BenchError::new(
                Step::ImageBuild,
                format!("docker build failed: {e}"),
            )
            .with_log(&log)),
            Err(_) => Err(BenchError::new(
                Step::ImageBuild,
                format!("docker build took longer than {BUILD_TIMEOUT:?}"),
            )
            .with_log(&log)),
        }
    }

    /// Size of the image as the engine reports it (uncompressed layers).
    pub async fn image_size(&self, tag: &str) -> Option<u64> {
        let inspect = tokio::time::timeout(CALL_TIMEOUT, self.client.inspect_image(tag))
            .await
            .ok()?
            .ok()?;
        inspect.size.and_then(|s| u64::try_from(s).ok())
    }

    /// gzip size of `docker save` of the image: what a registry would store.
    pub async fn image_compressed_size(&self, tag: &str) -> Option<u64> {
        let mut counter = crate::bench::sysinfo::GzipCounter::default();
        let run = async {
            let mut stream = self.client.export_image(tag);
            while let Some(chunk) = stream.next().await {
                counter.feed(&chunk.ok()?);
            }
            Some(())
        };
        tokio::time::timeout(BUILD_TIMEOUT, run).await.ok()??;
        Some(counter.finish())
    }

    fn record_image(&self, id: &str) {
        self.created
            .lock()
            .map(|mut c| {
                if !c.images.iter().any(|i| i == id) {
                    c.images.push(id.to_string())
                }
            })
            .ok();
    }

    /// The host pid of a running container's main process.
    pub async fn main_pid(&self, id: &str) -> Option<u32> {
        let inspect = tokio::time::timeout(CALL_TIMEOUT, self.client.inspect_container(id, None))
            .await
            .ok()?
            .ok()?;
        inspect
            .state?
            .pid
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p > 0)
    }

    /// Creates a container (labelled, recorded for cleanup); returns its id.
    /// Refused once the run is stopping.
    pub async fn create(
        &self,
        mut body: bollard::models::ContainerCreateBody,
    ) -> BenchResult<String> {
        if crate::bench::reap::stopping() {
            return Err(BenchError::new(Step::Interrupted, "stopped"));
        }
        body.labels = Some(self.labels());
        self.created.lock().map(|mut c| c.touched = true).ok();
        let created = timed(
            CALL_TIMEOUT,
            Step::Container,
            "creating the container",
            self.client.create_container(None, body),
        )
        .await?;
        self.created
            .lock()
            .map(|mut c| c.containers.push(created.id.clone()))
            .ok();
        Ok(created.id)
    }

    pub async fn start(&self, id: &str) -> BenchResult<()> {
        timed(
            CALL_TIMEOUT,
            Step::Container,
            "starting the container",
            self.client
                .start_container(id, None::<StartContainerOptions>),
        )
        .await
    }

    /// Attaches to stdin, stdout and stderr (call before `start` so no
    /// output is missed).
    pub async fn attach(
        &self,
        id: &str,
    ) -> BenchResult<bollard::container::AttachContainerResults> {
        let options = AttachContainerOptionsBuilder::default()
            .stdin(true)
            .stdout(true)
            .stderr(true)
            .stream(true)
            .build();
        timed(
            CALL_TIMEOUT,
            Step::Container,
            "attaching to the container",
            self.client.attach_container(id, Some(options)),
        )
        .await
    }

    /// Memory the container's cgroup charges, less reclaimable file cache,
    /// as `docker stats` shows it.
    pub async fn memory_usage(&self, id: &str) -> Option<u64> {
        let options = StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(true)
            .build();
        let mut stream = self.client.stats(id, Some(options));
        let stats = tokio::time::timeout(CALL_TIMEOUT, stream.next())
            .await
            .ok()??
            .ok()?;
        let mem = stats.memory_stats?;
        let usage = mem.usage?;
        let cache = mem
            .stats
            .as_ref()
            .and_then(|s| {
                s.get("inactive_file")
                    .or_else(|| s.get("total_inactive_file"))
                    .copied()
            })
            .unwrap_or(0);
        Some(usage.saturating_sub(cache))
    }

    /// The last lines of a container's output, for error messages.
    pub async fn logs_tail(&self, id: &str) -> String {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail("30")
            .build();
        let mut stream = self.client.logs(id, Some(options));
        let mut out = String::new();
        let read = async {
            while let Some(Ok(chunk)) = stream.next().await {
                out.push_str(&chunk.to_string());
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), read).await;
        out
    }

    /// Force-removes one container this run created.
    pub async fn remove(&self, id: &str) {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        let _ = tokio::time::timeout(
            CALL_TIMEOUT,
            self.client.remove_container(id, Some(options)),
        )
        .await;
        self.created
            .lock()
            .map(|mut c| c.containers.retain(|c| c != id))
            .ok();
    }

    /// Whether the engine answers a ping.
    async fn answers(&self) -> bool {
        matches!(
            tokio::time::timeout(Duration::from_secs(5), self.client.ping()).await,
            Ok(Ok(_))
        )
    }

    /// Removes everything this run created: the recorded containers, any
    /// container labelled with this run's id (one whose create answer was
    /// lost to a timeout or a signal), then the recorded images (tags and
    /// the ids the build stream named) and any image, dangling or not,
    /// that carries the run's label. An engine that stopped answering is
    /// waited for (`RETURN_WAIT`, as for a restarting dockerd); `Err` says
    /// what may be left and how to remove it, when it did not come back or
    /// objects with the run's label remain.
    pub async fn cleanup(&self, progress: &(dyn Fn(&str) + Send + Sync)) -> Result<(), String> {
        let touched = self.created.lock().map(|c| c.touched).unwrap_or(true);
        if !self.answers().await {
            if !touched {
                return Ok(());
            }
            progress(&format!(
                "the Docker engine does not answer; waiting up to {RETURN_WAIT:?} to remove what this run created"
            ));
            let deadline = std::time::Instant::now() + RETURN_WAIT;
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if self.answers().await {
                    break;
                }
                if std::time::Instant::now() >= deadline {
                    return Err(
                        self.leftover_hint(&format!("did not come back within {RETURN_WAIT:?}"))
                    );
                }
            }
        }
        let (containers, images) = match self.created.lock() {
            Ok(mut c) => (
                std::mem::take(&mut c.containers),
                std::mem::take(&mut c.images),
            ),
            Err(_) => (Vec::new(), Vec::new()),
        };
        for id in containers {
            self.remove(&id).await;
        }
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{RUN_LABEL}={}", self.run_id)],
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        if let Ok(Ok(left)) =
            tokio::time::timeout(CALL_TIMEOUT, self.client.list_containers(Some(options))).await
        {
            for c in left {
                if let Some(id) = c.id {
                    self.remove(&id).await;
                }
            }
        }
        let mut doomed = images;
        let options = ListImagesOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        if let Ok(Ok(left)) =
            tokio::time::timeout(CALL_TIMEOUT, self.client.list_images(Some(options))).await
        {
            doomed.extend(left.into_iter().map(|i| i.id));
        }
        // Newest first: a step's image is the parent of the next one.
        for image in doomed.iter().rev() {
            let options = RemoveImageOptionsBuilder::default().force(true).build();
            let _ = tokio::time::timeout(
                CALL_TIMEOUT,
                self.client.remove_image(image, Some(options), None),
            )
            .await;
        }
        // Checked, not assumed: the engine may have gone again meanwhile.
        let containers = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let images = ListImagesOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let left = async {
            let c = self.client.list_containers(Some(containers)).await.ok()?;
            let i = self.client.list_images(Some(images)).await.ok()?;
            Some(c.len() + i.len())
        };
        match tokio::time::timeout(CALL_TIMEOUT, left).await {
            Ok(Some(0)) => Ok(()),
            Ok(Some(_)) => Err(self.leftover_hint("did not remove everything")),
            _ => Err(self.leftover_hint("stopped answering")),
        }
    }

    /// What may be left on the engine, and the commands that remove it.
    fn leftover_hint(&self, what: &str) -> String {
        let filter = format!("label={RUN_LABEL}={}", self.run_id);
        format!(
            "the Docker engine at {} {what}, so containers or images this run created may be left: \
             remove them with `docker rm -f $(docker ps -aq --filter {filter})` and \
             `docker rmi -f $(docker images -aq --filter {filter})`",
            engine_address()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_steps_name_their_images() {
        let log = "Step 1/3 : FROM scratch\n ---> \nStep 2/3 : COPY service /service\n ---> 1a2b3c4d5e6f\nSuccessfully built 9f8e7d6c5b4a\n ---> Running in 0123\n";
        assert_eq!(step_image_ids(log), vec!["1a2b3c4d5e6f"]);
    }
}
