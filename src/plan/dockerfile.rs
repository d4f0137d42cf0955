//! Shipping-stage Dockerfile instructions with no Wasm counterpart, and
//! what to do about each. Instructions the plan carries over (EXPOSE, ENV,
//! ENTRYPOINT/CMD, COPY of the built program, the HEALTHCHECK as a probe)
//! are not listed.

use crate::model::plan::Leftover;
use crate::model::report::Container;

pub(crate) fn leftovers(c: &Container) -> Vec<Leftover> {
    c.instructions
        .iter()
        .filter_map(|i| {
            let action = action(&i.instruction, &i.args)?;
            Some(Leftover {
                at: i.at.clone(),
                instruction: format!("{} {}", i.instruction, i.args),
                action: action.to_string(),
            })
        })
        .collect()
}

/// What to do about one instruction, or `None` when the plan carries it
/// over.
fn action(instruction: &str, args: &str) -> Option<&'static str> {
    Some(match instruction {
        "RUN" => "Nothing runs inside a component at install time: OS packages and build steps move to the build (a library linked into the component) or stay in a container beside it",
        "USER" => "A component has no user id: the host's sandbox and the grants below take its place",
        "VOLUME" => "Becomes a preopened directory (wasmtime --dir, Spin `files`); only what is granted is visible",
        "WORKDIR" => "No working directory: paths are relative to the preopened directories",
        "STOPSIGNAL" => "No signals: the host stops an instance when its request ends or it is evicted",
        "SHELL" => "No shell in a component: drop it",
        "ONBUILD" => "No image inheritance for components: drop it",
        "ADD" | "COPY" if args.contains("--chown") || args.contains("--chmod") => {
            "No owners or modes in a component's preopens: copy the files and grant the directory read-only"
        }
        "ADD" if args.contains("://") => "Fetch the file at build time and ship it with the component (Spin `files`) or embed it",
        "HEALTHCHECK" if !args.contains("http://") && !args.contains("https://") => {
            "A command probe needs a shell: expose an HTTP health route and probe it (httpGet)"
        }
        "LABEL" | "MAINTAINER" => "Becomes an OCI annotation of the pushed artifact (wkg oci push --annotation)",
        _ => return None,
    })
}
