//! The "Migration plan" section of the text and Markdown reports (the HTML
//! report has it in its template; JSON carries `plan` as it is).

use crate::model::plan::{BuildStatus, Plan, Step, StepKind};
use crate::report::markdown::{code, esc};
use std::fmt::Write;

fn kind(k: StepKind) -> &'static str {
    match k {
        StepKind::Replace => "replace",
        StepKind::Swap => "swap",
        StepKind::Extract => "extract",
        StepKind::Build => "build",
    }
}

fn status(s: BuildStatus) -> &'static str {
    match s {
        BuildStatus::Built => "built",
        BuildStatus::Failed => "failed",
        BuildStatus::TimedOut => "timed out (killed at the time limit)",
        BuildStatus::Interrupted => "interrupted",
    }
}

fn step_line(i: usize, st: &Step) -> String {
    let rule = st
        .rule_id
        .as_deref()
        .map(|r| format!(" [{r}]"))
        .unwrap_or_default();
    let wasi = if st.wasi == "none" || st.wasi.is_empty() {
        String::new()
    } else {
        format!(" -> {}", st.wasi)
    };
    format!(
        "{:>3}. {} {}{rule} ({} d){wasi}\n       with: {}",
        i + 1,
        kind(st.kind),
        st.what,
        st.effort,
        st.with
    )
}

/// The plan as text; the report it comes from was escaped for the
/// terminal already.
pub fn text(s: &mut String, p: &Plan) {
    let _ = writeln!(
        s,
        "\nMIGRATION PLAN: {} on {} (~{} person-days)",
        p.service, p.platform, p.effort_days
    );
    if !p.blocked_by.is_empty() {
        let _ = writeln!(s, "  What would have to change first:");
        for (i, st) in p.blocked_by.iter().enumerate() {
            let _ = writeln!(s, "{}", step_line(i, st));
        }
    }
    let _ = writeln!(s, "  Steps:");
    for (i, st) in p.steps.iter().enumerate() {
        let _ = writeln!(s, "{}", step_line(i, st));
    }
    let _ = writeln!(s, "  Build: {} ({})", p.build.target, p.build.toolchain);
    let _ = writeln!(s, "  World {}/{}:", p.world.package, p.world.name);
    for i in &p.world.imports {
        let _ = writeln!(s, "    import {i}");
    }
    for e in &p.world.exports {
        let _ = writeln!(s, "    export {e}");
    }
    let g = &p.grants;
    if !g.wasmtime.is_empty() {
        let _ = writeln!(s, "  wasmtime grants: {}", g.wasmtime.join(" "));
    }
    if !g.allowed_outbound_hosts.is_empty() {
        let _ = writeln!(
            s,
            "  Spin allowed_outbound_hosts: {}",
            g.allowed_outbound_hosts.join(", ")
        );
    }
    if !g.key_value_stores.is_empty() {
        let _ = writeln!(
            s,
            "  Spin key_value_stores: {}",
            g.key_value_stores.join(", ")
        );
    }
    for m in &g.files {
        let _ = writeln!(s, "  files: {} -> {}", m.host, m.guest);
    }
    if !p.stays_in_container.is_empty() {
        let _ = writeln!(s, "  Stays in a container:");
        for x in &p.stays_in_container {
            let _ = writeln!(s, "    - {x}");
        }
    }
    if !p.dockerfile.is_empty() {
        let _ = writeln!(s, "  Dockerfile instructions with no Wasm counterpart:");
        for l in &p.dockerfile {
            let line = l.at.line.map(|n| format!(":{n}")).unwrap_or_default();
            let _ = writeln!(
                s,
                "    {}{line}  {}\n      {}",
                l.at.path, l.instruction, l.action
            );
        }
    }
    if !p.commands.is_empty() {
        let _ = writeln!(s, "  Commands:");
        for c in &p.commands {
            let _ = writeln!(s, "    $ {c}");
        }
    }
    if !p.files.is_empty() {
        let names: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
        let _ = writeln!(s, "  Files (wasmfit plan --out DIR): {}", names.join(", "));
    }
    for n in &p.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    if let Some(t) = &p.try_build {
        let _ = writeln!(
            s,
            "  Try-build: {} in {} ms: {}",
            status(t.status),
            t.elapsed_ms,
            t.command
        );
        for e in &t.errors {
            let tag = match (&e.confirms, e.new) {
                (Some(r), _) => format!("confirms {r}"),
                (None, true) => "NEW: no finding explains it".into(),
                (None, false) => "build environment".into(),
            };
            let _ = writeln!(s, "    [{tag}] {}", e.message);
        }
        if let Some(a) = &t.artifact {
            let _ = writeln!(s, "    component: {a}");
        }
        if let Some(b) = &t.bench {
            let _ = writeln!(s, "    serve and measure it: {b}");
        }
        for o in &t.outside_world {
            let _ = writeln!(s, "    outside the world: {o}");
        }
        if t.errors.is_empty() && t.status != BuildStatus::Built {
            for l in &t.tail {
                let _ = writeln!(s, "    | {l}");
            }
        }
    }
}

/// The plan as Markdown.
pub(crate) fn markdown(s: &mut String, p: &Plan) {
    let _ = writeln!(
        s,
        "\n#### Migration plan: {} on {} (~{} person-days)\n",
        esc(&p.service),
        p.platform,
        p.effort_days
    );
    fn table(s: &mut String, steps: &[Step]) {
        s.push_str("| # | Step | What | With | WASI | Days |\n|---:|---|---|---|---|---:|\n");
        for (i, st) in steps.iter().enumerate() {
            let _ = writeln!(
                s,
                "| {} | {}{} | {} | {} | {} | {} |",
                i + 1,
                kind(st.kind),
                st.rule_id
                    .as_deref()
                    .map(|r| format!(" {}", code(r)))
                    .unwrap_or_default(),
                esc(&st.what),
                esc(&st.with),
                code(&st.wasi),
                st.effort
            );
        }
        s.push('\n');
    }
    if !p.blocked_by.is_empty() {
        s.push_str("**What would have to change first:**\n\n");
        table(s, &p.blocked_by);
    }
    table(s, &p.steps);
    let _ = writeln!(
        s,
        "Build: {} — {}\n",
        esc(&p.build.target),
        code(&p.build.toolchain)
    );
    let _ = writeln!(
        s,
        "<details><summary>WIT world {}</summary>\n\n```wit\n{}```\n\n</details>\n",
        esc(&p.world.name),
        p.world.wit.replace("```", "`\u{200b}``")
    );
    if !p.grants.wasmtime.is_empty() {
        let _ = writeln!(
            s,
            "wasmtime grants: {}\n",
            code(&p.grants.wasmtime.join(" "))
        );
    }
    if !p.grants.allowed_outbound_hosts.is_empty() {
        let mut hosts = Vec::new();
        for h in &p.grants.allowed_outbound_hosts {
            hosts.push(code(h));
        }
        let _ = writeln!(s, "Spin `allowed_outbound_hosts`: {}\n", hosts.join(", "));
    }
    if !p.stays_in_container.is_empty() {
        s.push_str("**Stays in a container:**\n\n");
        for x in &p.stays_in_container {
            let _ = writeln!(s, "- {}", esc(x));
        }
        s.push('\n');
    }
    if !p.dockerfile.is_empty() {
        s.push_str("**Dockerfile instructions with no Wasm counterpart:**\n\n");
        for l in &p.dockerfile {
            let _ = writeln!(s, "- {} — {}", code(&l.instruction), esc(&l.action));
        }
        s.push('\n');
    }
    if !p.commands.is_empty() {
        s.push_str("<details><summary>Build, push and sign</summary>\n\n```sh\n");
        for c in &p.commands {
            let _ = writeln!(s, "{}", c.replace("```", "`\u{200b}``"));
        }
        s.push_str("```\n\n</details>\n\n");
    }
    for n in &p.notes {
        let _ = writeln!(s, "> {}\n", esc(n));
    }
    if let Some(t) = &p.try_build {
        let _ = writeln!(
            s,
            "Try-build: **{}** in {} ms ({})\n",
            status(t.status),
            t.elapsed_ms,
            code(&t.command)
        );
        for e in &t.errors {
            let tag = match (&e.confirms, e.new) {
                (Some(r), _) => format!("confirms {}", code(r)),
                (None, true) => "**new**: no finding explains it".into(),
                (None, false) => "build environment".into(),
            };
            let _ = writeln!(s, "- {tag}: {}", code(&e.message));
        }
        if let Some(b) = &t.bench {
            let _ = writeln!(s, "\nServe and measure it: {}", code(b));
        }
        s.push('\n');
    }
}
