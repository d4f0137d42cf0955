//! Deployment artefacts: the world as a `.wit` file, `spin.toml`, a
//! wasmCloud `wadm` manifest, the runwasi `RuntimeClass`, `Deployment` and
//! `Service`, and the commands to build, push and sign the OCI artifact.
//!
//! Every manifest is built as a value and serialised, never pasted
//! together: names and environment values come from the scanned tree and
//! must not be able to break out of a YAML or TOML string.

use crate::model::plan::{Plan, PlanFile};
use crate::model::report::Container;
use crate::model::target::Target;
use serde_json::{json, Map, Value};

/// The version artefacts are tagged with until the service has its own.
pub const VERSION: &str = "0.1.0";

/// wasmCloud capability providers for the interfaces a world imports or
/// exports (current releases; pin what your lattice runs).
const HTTP_SERVER_PROVIDER: &str = "ghcr.io/wasmcloud/http-server:0.27.0";
const HTTP_CLIENT_PROVIDER: &str = "ghcr.io/wasmcloud/http-client:0.12.1";
const KEYVALUE_PROVIDER: &str = "ghcr.io/wasmcloud/keyvalue-redis:0.28.2";

/// Requests and limits until measurements say otherwise: a component's
/// memory is its linear memory plus the host's per-instance overhead, far
/// below a container's.
const REQUESTS: (&str, &str) = ("50m", "32Mi");
const LIMITS: (&str, &str) = ("500m", "128Mi");

fn image(registry: &str, name: &str) -> String {
    format!("{}/{name}:{VERSION}", registry.trim_end_matches('/'))
}

fn serves_http(plan: &Plan) -> bool {
    plan.world
        .exports
        .iter()
        .any(|e| e.starts_with("wasi:http/incoming-handler"))
}

fn imports(plan: &Plan, prefix: &str) -> bool {
    plan.world.imports.iter().any(|i| i.starts_with(prefix))
}

/// The commands to build, push and sign, for the plan's platform.
pub(crate) fn commands(plan: &Plan, name: &str, registry: &str) -> Vec<String> {
    let image = crate::plan::grants::shell_quote(&image(registry, name));
    let wasm = &plan.build.output;
    let mut out = Vec::new();
    match plan.build.runtime.as_deref() {
        Some("rust") => {
            out.push("rustup target add wasm32-wasip2".into());
            out.push("cargo build --release --target wasm32-wasip2".into());
            out.push(format!("cp target/wasm32-wasip2/release/*.wasm {wasm}"));
        }
        Some("tinygo") => out.push(format!("tinygo build -target=wasip2 -o {wasm} .")),
        Some("go") => out.push(format!("tinygo build -target=wasip2 --wit-package wit --wit-world {name} -o {wasm} .  # or, as a wasip1 core module: GOOS=wasip1 GOARCH=wasm go build -o {wasm} .")),
        Some("c-cpp") => out.push(format!("$WASI_SDK/bin/clang --target=wasm32-wasip2 -O2 -o {wasm} *.c")),
        Some("python") => out.push(format!("componentize-py -d wit -w {name} componentize app -o {wasm}")),
        Some("node") => out.push(format!("npx @bytecodealliance/jco componentize app.js --wit wit -n {name} -o {wasm}")),
        _ => out.push(format!("# build {wasm} with: {}", plan.build.toolchain)),
    }
    out.push(format!(
        "wasm-tools component targets wit {wasm} --world {name}"
    ));
    match plan.platform {
        Target::Spin => out.push(format!("spin registry push {image}")),
        Target::Wasmcloud => out.push(format!("wash push {image} {wasm}")),
        Target::Wasmtime | Target::Runwasi => out.push(format!("wkg oci push {image} {wasm}")),
    }
    out.push(format!("cosign sign --yes {image}"));
    out.push(format!(
        "cosign verify {image} --certificate-identity <signer> --certificate-oidc-issuer <issuer>"
    ));
    match plan.platform {
        Target::Wasmtime => {
            let flags = plan.grants.wasmtime.join(" ");
            if serves_http(plan) {
                let port = plan
                    .grants
                    .port
                    .unwrap_or(crate::plan::grants::DEFAULT_PORT);
                out.push(
                    format!("wasmtime serve -S cli {flags} --addr 0.0.0.0:{port} {wasm}")
                        .replace("  ", " "),
                );
            } else {
                out.push(format!("wasmtime run {flags} {wasm}").replace("  ", " "));
            }
        }
        Target::Spin => out.push("spin up --from spin.toml".into()),
        Target::Wasmcloud => out.push("wash app deploy wadm.yaml".into()),
        Target::Runwasi => out.push("kubectl apply -f k8s/".into()),
    }
    out
}

/// Every file of the plan, for `--out DIR`.
pub(crate) fn files(
    plan: &Plan,
    name: &str,
    registry: &str,
    container: Option<&Container>,
) -> Vec<PlanFile> {
    let mut files = vec![PlanFile {
        path: format!("wit/{name}.wit"),
        purpose: "the minimal WIT world".into(),
        content: plan.world.wit.clone(),
    }];
    if let Ok(t) = toml::to_string(&spin(plan, name)) {
        files.push(PlanFile {
            path: "spin.toml".into(),
            purpose: "Spin manifest".into(),
            content: t,
        });
    }
    if let Ok(y) = serde_saphyr::to_string(&wadm(plan, name, registry)) {
        files.push(PlanFile {
            path: "wadm.yaml".into(),
            purpose: "wasmCloud application manifest".into(),
            content: y,
        });
    }
    let handler = if plan.platform == Target::Spin {
        "spin"
    } else {
        "wasmtime"
    };
    let mut k8s = vec![
        (
            "k8s/runtimeclass.yaml",
            "runwasi RuntimeClass",
            runtime_class(handler),
        ),
        (
            "k8s/deployment.yaml",
            "Kubernetes Deployment on the RuntimeClass",
            deployment(plan, name, registry, handler, container),
        ),
    ];
    if serves_http(plan) {
        k8s.push((
            "k8s/service.yaml",
            "Kubernetes Service",
            service(plan, name),
        ));
    }
    for (path, purpose, v) in k8s {
        if let Ok(y) = serde_saphyr::to_string(&v) {
            files.push(PlanFile {
                path: path.into(),
                purpose: purpose.into(),
                content: y,
            });
        }
    }
    files.push(PlanFile {
        path: "commands.sh".into(),
        purpose: "build, push and sign".into(),
        content: commands_script(plan),
    });
    files
}

fn commands_script(plan: &Plan) -> String {
    let mut s = String::from(
        "#!/bin/sh\n# Build, push and sign the component, then deploy it (generated by wasmfit plan).\nset -eu\n",
    );
    for c in &plan.commands {
        s.push_str(c);
        s.push('\n');
    }
    s
}

fn spin(plan: &Plan, name: &str) -> toml::Table {
    let mut component = toml::Table::new();
    component.insert("source".into(), plan.build.output.clone().into());
    let hosts: Vec<toml::Value> = plan
        .grants
        .allowed_outbound_hosts
        .iter()
        .map(|h| h.clone().into())
        .collect();
    if !hosts.is_empty() {
        component.insert("allowed_outbound_hosts".into(), toml::Value::Array(hosts));
    }
    if !plan.grants.key_value_stores.is_empty() {
        let stores: Vec<toml::Value> = plan
            .grants
            .key_value_stores
            .iter()
            .map(|s| s.clone().into())
            .collect();
        component.insert("key_value_stores".into(), toml::Value::Array(stores));
    }
    if !plan.grants.files.is_empty() {
        let files: Vec<toml::Value> = plan
            .grants
            .files
            .iter()
            .map(|m| {
                let mut t = toml::Table::new();
                t.insert("source".into(), m.host.clone().into());
                t.insert("destination".into(), m.guest.clone().into());
                toml::Value::Table(t)
            })
            .collect();
        component.insert("files".into(), toml::Value::Array(files));
    }
    if !plan.grants.env.is_empty() {
        let mut env = toml::Table::new();
        for v in &plan.grants.env {
            env.insert(v.name.clone(), v.value.clone().into());
        }
        component.insert("environment".into(), toml::Value::Table(env));
    }
    // The build commands up to the `.wasm` the manifest names (Spin runs
    // the command through a shell); toolchain setup and comments are not
    // part of a build.
    let build: Vec<&str> = plan
        .commands
        .iter()
        .take_while(|c| !c.starts_with("wasm-tools"))
        .filter(|c| !c.starts_with("rustup") && !c.starts_with('#'))
        .map(String::as_str)
        .collect();
    if !build.is_empty() {
        let mut b = toml::Table::new();
        b.insert("command".into(), build.join(" && ").into());
        component.insert("build".into(), toml::Value::Table(b));
    }
    let mut app = toml::Table::new();
    app.insert("name".into(), name.into());
    app.insert("version".into(), VERSION.into());
    app.insert(
        "description".into(),
        format!(
            "{} as a WASI 0.2 component (planned by wasmfit)",
            plan.service
        )
        .into(),
    );
    let mut trigger = toml::Table::new();
    trigger.insert("component".into(), name.into());
    let kind = if serves_http(plan) {
        trigger.insert("route".into(), "/...".into());
        "http"
    } else {
        // Spin runs commands through the `command` trigger plugin.
        "command"
    };
    let mut triggers = toml::Table::new();
    triggers.insert(
        kind.into(),
        toml::Value::Array(vec![toml::Value::Table(trigger)]),
    );
    let mut components = toml::Table::new();
    components.insert(name.into(), toml::Value::Table(component));
    let mut root = toml::Table::new();
    root.insert("spin_manifest_version".into(), toml::Value::Integer(2));
    root.insert("application".into(), toml::Value::Table(app));
    root.insert("trigger".into(), toml::Value::Table(triggers));
    root.insert("component".into(), toml::Value::Table(components));
    root
}

fn wadm(plan: &Plan, name: &str, registry: &str) -> Value {
    let mut traits = vec![json!({"type": "spreadscaler", "properties": {"instances": 1}})];
    let mut components = Vec::new();
    if imports(plan, "wasi:http/outgoing-handler") {
        traits.push(json!({"type": "link", "properties": {
            "target": {"name": "httpclient"},
            "namespace": "wasi", "package": "http", "interfaces": ["outgoing-handler"]}}));
        components.push(json!({"name": "httpclient", "type": "capability",
            "properties": {"image": HTTP_CLIENT_PROVIDER}}));
    }
    if imports(plan, "wasi:keyvalue") {
        traits.push(json!({"type": "link", "properties": {
            "target": {"name": "kvstore"},
            "namespace": "wasi", "package": "keyvalue", "interfaces": ["store"]}}));
        components.push(json!({"name": "kvstore", "type": "capability",
            "properties": {"image": KEYVALUE_PROVIDER}}));
    }
    let mut properties = Map::new();
    properties.insert("image".into(), image(registry, name).into());
    if !plan.grants.env.is_empty() {
        // wasmCloud passes configuration as named config, read with wasi:config.
        let props: Map<String, Value> = plan
            .grants
            .env
            .iter()
            .map(|v| (v.name.clone(), Value::from(v.value.clone())))
            .collect();
        properties.insert(
            "config".into(),
            json!([{"name": format!("{name}-env"), "properties": props}]),
        );
    }
    let mut all = vec![json!({"name": name, "type": "component",
        "properties": properties, "traits": traits})];
    if serves_http(plan) {
        let port = plan
            .grants
            .port
            .unwrap_or(crate::plan::grants::DEFAULT_PORT);
        all.push(json!({"name": "httpserver", "type": "capability",
            "properties": {"image": HTTP_SERVER_PROVIDER},
            "traits": [{"type": "link", "properties": {
                "target": {"name": name},
                "namespace": "wasi", "package": "http", "interfaces": ["incoming-handler"],
                "source": {"config": [{"name": "default-http",
                    "properties": {"address": format!("0.0.0.0:{port}")}}]}}}]}));
    }
    all.extend(components);
    json!({
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": name, "annotations": {
            "version": format!("v{VERSION}"),
            "description": format!("{} as a WASI 0.2 component (planned by wasmfit)", plan.service)}},
        "spec": {"components": all}
    })
}

fn runtime_class(handler: &str) -> Value {
    json!({
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": {"name": handler},
        "handler": handler
    })
}

fn deployment(
    plan: &Plan,
    name: &str,
    registry: &str,
    handler: &str,
    container: Option<&Container>,
) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), name.into());
    c.insert("image".into(), image(registry, name).into());
    if let Some(port) = plan.grants.port.filter(|_| serves_http(plan)) {
        c.insert(
            "ports".into(),
            json!([{"containerPort": port, "protocol": "TCP"}]),
        );
        if let Some(path) = container
            .and_then(|c| {
                c.healthcheck
                    .as_deref()
                    .or(c.compose.as_ref().and_then(|x| x.healthcheck.as_deref()))
            })
            .and_then(health_path)
        {
            let probe = json!({"httpGet": {"path": path, "port": port}, "periodSeconds": 10});
            c.insert("livenessProbe".into(), probe.clone());
            c.insert("readinessProbe".into(), probe);
        }
    }
    if !plan.grants.env.is_empty() {
        let env: Vec<Value> = plan
            .grants
            .env
            .iter()
            .map(|v| json!({"name": v.name, "value": v.value}))
            .collect();
        c.insert("env".into(), env.into());
    }
    // The compose file's limits when it sets them, else small defaults.
    let compose = container.and_then(|c| c.compose.as_ref());
    let cpu = compose
        .and_then(|c| c.cpus.as_deref())
        .and_then(cpu_quantity)
        .unwrap_or_else(|| LIMITS.0.to_string());
    let memory = compose
        .and_then(|c| c.memory.as_deref())
        .and_then(memory_quantity)
        .unwrap_or_else(|| LIMITS.1.to_string());
    c.insert(
        "resources".into(),
        json!({"requests": {"cpu": REQUESTS.0, "memory": REQUESTS.1},
               "limits": {"cpu": cpu, "memory": memory}}),
    );
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"runtimeClassName": handler, "containers": [Value::Object(c)]}
            }
        }
    })
}

fn service(plan: &Plan, name: &str) -> Value {
    let port = plan
        .grants
        .port
        .unwrap_or(crate::plan::grants::DEFAULT_PORT);
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": port, "protocol": "TCP"}]
        }
    })
}

/// Compose `cpus: "0.5"` -> `500m`.
pub(crate) fn cpu_quantity(cpus: &str) -> Option<String> {
    let n: f64 = cpus.trim().trim_matches('"').parse().ok()?;
    (n > 0.0 && n <= 1024.0).then(|| format!("{}m", (n * 1000.0).round() as u64))
}

/// Compose `memory: 512M` (`b`, `k`, `m`, `g`, either case, optional
/// `b` after the unit) -> `512Mi`.
pub(crate) fn memory_quantity(mem: &str) -> Option<String> {
    let m = mem.trim().trim_matches('"').to_ascii_lowercase();
    let m = m.strip_suffix('b').filter(|x| !x.is_empty()).unwrap_or(&m);
    let (digits, unit) = m.split_at(m.find(|c: char| !c.is_ascii_digit()).unwrap_or(m.len()));
    let n: u64 = digits.parse().ok().filter(|n| *n > 0)?;
    let suffix = match unit {
        "" => "",
        "k" => "Ki",
        "m" => "Mi",
        "g" => "Gi",
        _ => return None,
    };
    Some(format!("{n}{suffix}"))
}

/// The path a `HEALTHCHECK CMD curl -f http://localhost:8080/healthz`
/// probes, when it probes over HTTP on the local host.
pub(crate) fn health_path(check: &str) -> Option<String> {
    let i = check.find("http://")?;
    let rest = &check[i + "http://".len()..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',' || c == ']')
        .unwrap_or(rest.len());
    let url = &rest[..end];
    let (host, path) = match url.find('/') {
        Some(j) => (&url[..j], &url[j..]),
        None => (url, "/"),
    };
    let host = host.split(':').next().unwrap_or("");
    (matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0")).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_limits_become_quantities() {
        assert_eq!(cpu_quantity("0.5").as_deref(), Some("500m"));
        assert_eq!(cpu_quantity("\"2\"").as_deref(), Some("2000m"));
        assert_eq!(cpu_quantity("x"), None);
        assert_eq!(memory_quantity("512M").as_deref(), Some("512Mi"));
        assert_eq!(memory_quantity("1gb").as_deref(), Some("1Gi"));
        assert_eq!(memory_quantity("1048576").as_deref(), Some("1048576"));
        assert_eq!(memory_quantity("lots"), None);
    }

    #[test]
    fn health_paths() {
        assert_eq!(
            health_path("--interval=30s CMD curl -f http://localhost:8080/healthz || exit 1"),
            Some("/healthz".into())
        );
        assert_eq!(
            health_path(r#"CMD ["wget", "-qO-", "http://127.0.0.1:3000"]"#),
            Some("/".into())
        );
        assert_eq!(health_path("CMD curl http://example.com/x"), None);
        assert_eq!(health_path("CMD pg_isready"), None);
    }
}
