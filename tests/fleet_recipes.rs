//! The scale-out recipes in `examples/fleet/`: each Kubernetes Job is
//! valid against the `batch/v1` Job schema (vendored, v1.30 strict: an
//! unknown or misspelt field is an error; `scripts/vendor-k8s-job-schema.py`
//! writes it), and both recipes are run here as their engine would run
//! them: the Indexed Job's command once per completion index with
//! `$(JOB_COMPLETION_INDEX)` expanded and its volumes mapped to temporary
//! directories, then the merge Job; the GitHub Actions matrix's `run:`
//! lines once per matrix value, artifacts uploaded and downloaded as
//! `actions/upload-artifact`/`download-artifact` lay them out, then the
//! merge job. The merged fleet must hold every service exactly once.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    serde_saphyr::from_multiple::<Value>(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn job_schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo().join("tests/data/k8s-job-batch-v1.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn samples_list(dir: &Path) -> usize {
    let mut names: Vec<PathBuf> = std::fs::read_dir(repo().join("samples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    let text: String = names.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(dir.join("services.txt"), text).unwrap();
    names.len()
}

fn wasmfit() -> PathBuf {
    assert_cmd::cargo::cargo_bin("wasmfit")
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_schema_rejects_what_kubernetes_would() {
    let v = job_schema();
    let good: Value = serde_json::json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"},
        "spec": {"completionMode": "Indexed", "completions": 2, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}}}
    });
    assert!(errors(&v, &good).is_empty(), "{:?}", errors(&v, &good));
    let mut typo = good.clone();
    typo["spec"]["completionsMode"] = "Indexed".into();
    assert!(!errors(&v, &typo).is_empty(), "an unknown field passed");
    let mut no_containers = good.clone();
    no_containers["spec"]["template"]["spec"]
        .as_object_mut()
        .unwrap()
        .remove("containers");
    assert!(
        !errors(&v, &no_containers).is_empty(),
        "a pod without containers passed"
    );
    let mut wrong = good;
    wrong["spec"]["parallelism"] = "four".into();
    assert!(
        !errors(&v, &wrong).is_empty(),
        "a string parallelism passed"
    );
}

/// The container's command line with `$(VAR)` expanded as Kubernetes does
/// and mount paths mapped to local directories.
fn container_args(
    c: &Value,
    env: &BTreeMap<&str, String>,
    mounts: &BTreeMap<String, PathBuf>,
) -> Vec<String> {
    let mut args: Vec<String> = c["command"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(c["args"].as_array().into_iter().flatten())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    for a in &mut args {
        for (k, v) in env {
            *a = a.replace(&format!("$({k})"), v);
        }
        for (from, to) in mounts {
            if let Some(rest) = a.strip_prefix(from.as_str()) {
                *a = format!("{}{rest}", to.display());
            }
        }
    }
    assert_eq!(
        args.first().map(String::as_str),
        Some("wasmfit"),
        "{args:?}"
    );
    args.remove(0);
    args
}

fn mounts(pod: &Value, c: &Value, claims: &BTreeMap<String, PathBuf>) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for m in c["volumeMounts"].as_array().into_iter().flatten() {
        let name = m["name"].as_str().unwrap();
        let vol = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("volume {name} not declared"));
        if let Some(claim) = vol["persistentVolumeClaim"]["claimName"].as_str() {
            let dir = claims
                .get(claim)
                .unwrap_or_else(|| panic!("claim {claim} unknown"));
            out.insert(m["mountPath"].as_str().unwrap().to_string(), dir.clone());
        }
    }
    out
}

#[test]
fn kubernetes_indexed_job_and_merge_job() {
    let v = job_schema();
    let scan = yaml("examples/fleet/kubernetes-scan-job.yaml");
    let merge = yaml("examples/fleet/kubernetes-merge-job.yaml");
    for doc in scan.iter().chain(&merge) {
        assert_eq!(doc["apiVersion"], "batch/v1");
        assert_eq!(doc["kind"], "Job");
        let e = errors(&v, doc);
        assert!(e.is_empty(), "{}: {e:#?}", doc["metadata"]["name"]);
    }
    let job = &scan[0];
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let n = job["spec"]["completions"].as_u64().unwrap();
    assert!(n >= 2);

    let tmp = tempfile::tempdir().unwrap();
    let sources = tmp.path().join("sources");
    let results = tmp.path().join("results");
    std::fs::create_dir_all(&sources).unwrap();
    std::fs::create_dir_all(&results).unwrap();
    let services = samples_list(&sources);
    let claims: BTreeMap<String, PathBuf> = [
        ("wasmfit-sources".to_string(), sources.clone()),
        ("wasmfit-results".to_string(), results.clone()),
    ]
    .into();
    let pod = &job["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let m = mounts(pod, c, &claims);
    for i in 0..n {
        let env = [("JOB_COMPLETION_INDEX", i.to_string())].into();
        let args = container_args(c, &env, &m);
        assert!(
            args.windows(2)
                .any(|w| w[0] == "--shard" && w[1] == format!("{i}/{n}")),
            "the shard count in --shard is not completions ({n}): {args:?}"
        );
        run_ok(Command::new(wasmfit()).args(&args));
    }
    // The merge Job: its init container merges, its container reports.
    let pod = &merge[0]["spec"]["template"]["spec"];
    for c in pod["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(pod["containers"].as_array().unwrap())
    {
        let m = mounts(pod, c, &claims);
        let args = container_args(c, &BTreeMap::new(), &m);
        if args[1] == "merge" {
            let shards = args.iter().filter(|a| a.contains("/shards/")).count() as u64;
            assert_eq!(shards, n, "the merge Job lists {shards} shards of {n}");
        }
        run_ok(Command::new(wasmfit()).args(&args));
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(results.join("fleet/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["counts"]["services"], services);
    assert_eq!(manifest["shards"].as_array().unwrap().len() as u64, n);
    assert!(manifest.get("missing_shards").is_none());
    let page = std::fs::read_to_string(results.join("fleet.html")).unwrap();
    assert!(page.contains("id=\"candidates\""));
}

#[test]
fn github_actions_matrix_and_artifact_merge() {
    let wf = yaml("examples/fleet/github-actions.yml").remove(0);
    let jobs = &wf["jobs"];
    let shards: Vec<u64> = jobs["scan"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    let n = shards.len() as u64;
    assert_eq!(shards, (0..n).collect::<Vec<_>>(), "shards must be 0..N-1");
    assert_eq!(jobs["merge"]["needs"], "scan");
    assert_eq!(jobs["scan"]["strategy"]["fail-fast"], false);

    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    let services = samples_list(work);
    let bin_dir = wasmfit().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let summary = work.join("summary.md");
    let sh = |script: &str| {
        run_ok(
            Command::new("sh")
                .arg("-ec")
                .arg(script)
                .current_dir(work)
                .env("PATH", &path)
                .env("GITHUB_STEP_SUMMARY", &summary),
        )
    };
    let steps = |job: &str| jobs[job]["steps"].as_array().unwrap().clone();
    let upload_name = steps("scan")
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .expect("the scan job uploads its shard")["with"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    for shard in &shards {
        let subst = |s: &str| s.replace("${{ matrix.shard }}", &shard.to_string());
        for step in steps("scan") {
            if let Some(run) = step["run"].as_str().filter(|r| r.contains("wasmfit fleet")) {
                assert!(
                    run.contains(&format!("--shard ${{{{ matrix.shard }}}}/{n}")),
                    "{run}"
                );
                sh(&subst(run));
            }
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
            {
                // download-artifact (no merge-multiple) puts each artifact
                // in PATH/NAME/.
                let from = work.join(subst(step["with"]["path"].as_str().unwrap()));
                let to = work.join("shards").join(subst(&upload_name));
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::rename(&from, &to).unwrap();
            }
        }
    }
    let download = steps("merge")
        .into_iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/download-artifact"))
        })
        .expect("the merge job downloads the shards");
    assert_eq!(download["with"]["path"], "shards");
    let pattern = download["with"]["pattern"].as_str().unwrap();
    assert!(
        upload_name.starts_with(pattern.trim_end_matches('*')),
        "pattern {pattern} does not match {upload_name}"
    );
    for step in steps("merge") {
        if let Some(run) = step["run"].as_str().filter(|r| r.contains("wasmfit fleet")) {
            sh(run);
        }
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(work.join("fleet/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["services"], services);
    assert_eq!(manifest["shards"].as_array().unwrap().len() as u64, n);
    assert!(std::fs::read_to_string(&summary)
        .unwrap()
        .contains("## Candidates"));
    assert!(work.join("fleet.html").is_file());
}
