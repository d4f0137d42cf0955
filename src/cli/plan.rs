//! `wasmfit plan [PATH]`: the migration plan for a service, its files in
//! `--out DIR`, and (only with `--try-build`) a sandboxed build that proves
//! it.

use crate::model::target::Target;
use crate::report::Format;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The repository or service directory to plan for.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The service to plan for (a name from the report's services); the
    /// primary service when omitted.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Write the world, spin.toml, wadm.yaml, the Kubernetes manifests and
    /// commands.sh into DIR. DIR must not exist or be empty (see --force).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The platform the commands target; the config's `target` when omitted.
    #[arg(long, value_enum)]
    pub platform: Option<Target>,
    /// Write into a DIR that is not empty (the plan's files are replaced,
    /// nothing else is touched), and write deployment artefacts even for a
    /// `stay` verdict.
    #[arg(long)]
    pub force: bool,
    /// Where images are pushed (`ghcr.io/acme`); `localhost:5000` when omitted.
    #[arg(long, value_name = "REGISTRY")]
    pub registry: Option<String>,
    /// Build the service for the planned target to prove the plan. This RUNS
    /// CODE FROM THE SCANNED TREE (build scripts, proc macros, cgo): it runs
    /// in a temporary copy, offline, in a sandbox with no network (`unshare
    /// -rn`, or a container: --sandbox), killed at --timeout. Never on by
    /// default; `scan` never builds.
    #[arg(long)]
    pub try_build: bool,
    /// Where --try-build builds: `unshare -rn` when user namespaces work,
    /// else a Docker container with no network (auto); or only one of them.
    #[arg(long, value_enum, default_value_t = crate::plan::trybuild::SandboxChoice::Auto)]
    pub sandbox: crate::plan::trybuild::SandboxChoice,
    /// Time limit for --try-build, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
    /// Output format: the plan alone as text, or the whole report with its
    /// plan (json, markdown, html).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also load every *.toml rule file in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Read settings from FILE instead of PATH/wasmfit.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No progress output, and no notes on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    if let Err(e) = std::fs::symlink_metadata(&args.path) {
        return Err(super::usage(format!("{}: {e}", args.path.display())));
    }
    if !matches!(
        args.format,
        Format::Text | Format::Json | Format::Markdown | Format::Html
    ) {
        return Err(super::usage(
            "--format: a plan is text, json, markdown or html",
        ));
    }
    // A bad DIR is found before a scan is spent.
    if let Some(dir) = &args.out {
        check_out(dir, args.force)?;
    }
    let config = super::shared::config(&args.path, args.config.as_deref())?;
    let rules = super::shared::rules(&config, &args.rules)?;
    let opts = crate::scan::Options {
        suppress: config.suppress.clone(),
        discover: crate::input::discover::Options {
            exclude: config.exclude.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut report = super::scan::scan_path(&args.path, &opts, &rules, args.quiet)?;
    report.repository = super::shared::repository(&args.path, args.quiet);
    let platform = args.platform.unwrap_or(config.target);
    report.target = Some(platform);
    let popts = crate::plan::Options {
        service: args.service.clone(),
        platform,
        force: args.force,
        registry: args.registry.clone(),
    };
    let mut plan = crate::plan::build(&report, &rules, &popts)
        .map_err(|e| super::usage(format!("{}: {e}", args.path.display())))?;

    if let Some(dir) = &args.out {
        if plan.files.is_empty() {
            eprintln!(
                "wasmfit: {}: verdict `{}`: no deployment artefacts written to {} (use --force to write them anyway)",
                plan.service,
                plan.verdict,
                dir.display()
            );
        } else {
            write_files(dir, &plan)?;
        }
    }
    let mut code = ExitCode::SUCCESS;
    if args.try_build {
        let service = report
            .service(&plan.service)
            .map(|s| s.root.clone())
            .unwrap_or_else(|| ".".into());
        let root = if args.path.is_dir() {
            args.path.join(&service)
        } else {
            args.path.parent().unwrap_or(Path::new(".")).to_path_buf()
        };
        let findings = report
            .service(&plan.service)
            .map(|s| s.findings.clone())
            .unwrap_or_else(|| report.findings.clone());
        // The main entry point's file, relative to the service's root.
        let entry = report.service(&plan.service).and_then(|s| {
            let prefix = if s.root == "." {
                String::new()
            } else {
                format!("{}/", s.root)
            };
            s.entry_points
                .iter()
                .filter(|e| e.main)
                .find_map(|e| e.path.as_deref()?.strip_prefix(prefix.as_str()))
                .map(str::to_string)
        });
        let keep = args.out.as_deref().filter(|d| d.is_dir());
        let result = crate::plan::trybuild::run(&crate::plan::trybuild::Request {
            root: &root,
            plan: &plan,
            findings: &findings,
            timeout: Duration::from_secs(args.timeout.max(1)),
            keep_in: keep,
            entry: entry.as_deref(),
            sandbox: args.sandbox,
        })
        .map_err(|e| super::usage(e.to_string()))?;
        if result.status == crate::model::plan::BuildStatus::Interrupted {
            code = ExitCode::from(crate::interrupt::exit_code().unwrap_or(130));
        }
        plan.try_build = Some(result);
    }
    report.plan = Some(plan);
    let text = match args.format {
        Format::Text => {
            let escaped = crate::report::escape::report(&report)?;
            let mut s = String::new();
            if let Some(p) = &escaped.plan {
                crate::report::plan::text(&mut s, p);
            }
            s.trim_start().to_string()
        }
        f => {
            let ropts = crate::report::Options::new(&rules);
            f.renderer(&ropts).to_string(&report)?
        }
    };
    super::emit(args.output.as_deref(), &text)?;
    Ok(code)
}

/// DIR must be new or empty, unless `--force`; never a file.
fn check_out(dir: &Path, force: bool) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(super::usage(format!("{}: {e}", dir.display()))),
        Ok(m) if !m.is_dir() => Err(super::usage(format!(
            "{}: --out must be a directory",
            dir.display()
        ))),
        Ok(_) => {
            let empty = std::fs::read_dir(dir)
                .map_err(|e| super::usage(format!("{}: {e}", dir.display())))?
                .next()
                .is_none();
            if empty || force {
                Ok(())
            } else {
                Err(super::usage(format!(
                    "{}: exists and is not empty; nothing written (use --force to replace the plan's files in it)",
                    dir.display()
                )))
            }
        }
    }
}

/// Writes the plan's files. Their paths are the plan's own (`wit/NAME.wit`
/// with NAME a WIT identifier), never taken from the scanned tree.
fn write_files(dir: &Path, plan: &crate::model::plan::Plan) -> anyhow::Result<()> {
    for f in &plan.files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| super::usage(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &f.content)
            .map_err(|e| super::usage(format!("{}: cannot write: {e}", path.display())))?;
    }
    Ok(())
}
