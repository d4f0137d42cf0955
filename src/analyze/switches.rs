//! Evidence in code that runs only while an operator switch is on, where
//! the tree leaves that switch off by default: `optional`, with the switch
//! and its default named.
//!
//! healthchecks-style: `SHELL_ENABLED = envbool("SHELL_ENABLED", "False")`
//! in the settings module, and `if not settings.SHELL_ENABLED: raise` ahead
//! of the `os.system` that runs a user's command. A Wasm port ships with
//! the feature off, as a default install does, so the spawn is not what
//! decides the verdict; it is still listed.
//!
//! A name counts as off only when every module-level assignment of it in
//! shipping code is off (`parse::switches::settings`): a production
//! settings file that turns it on keeps the evidence counted.

use std::collections::HashMap;

use crate::analyze::finding::Hit;
use crate::model::context::Context;
use crate::parse::switches::{Gate, Setting};

/// Marks the counted hits inside a gate whose setting defaults off.
/// `settings` are (file, setting) pairs from shipping Python files;
/// `gates` are each file's gated spans.
pub fn apply(settings: &[(String, Setting)], gates: &HashMap<String, Vec<Gate>>, hits: &mut [Hit]) {
    if gates.is_empty() || settings.is_empty() {
        return;
    }
    // name -> where it is set off, or None once any assignment is not off.
    let mut off: HashMap<&str, Option<(&str, u32)>> = HashMap::new();
    for (path, s) in settings {
        let e = off
            .entry(s.name.as_str())
            .or_insert(Some((path.as_str(), s.line)));
        if !s.off {
            *e = None;
        }
    }
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if !e.context.counts() {
            continue;
        }
        let (Some(line), Some(file_gates)) = (e.at.line, gates.get(&e.at.path)) else {
            continue;
        };
        let gate = file_gates
            .iter()
            .filter(|g| g.first <= line && line <= g.last)
            .find_map(|g| Some((g, off.get(g.name.as_str()).copied().flatten()?)));
        if let Some((g, (set_in, set_line))) = gate {
            e.context = Context::Optional;
            e.reason = Some(format!(
                "runs only when the setting {} is on ({}:{}), and {set_in}:{set_line} leaves it off by default",
                g.name, e.at.path, g.line
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fact::Location;
    use crate::model::finding::Source;
    use crate::rules::{Confidence, RuleSet};

    fn hit(path: &str, line: u32) -> Hit {
        Hit::of_rule(
            &RuleSet::builtin().expect("rules"),
            "WF101",
            Location::line(path, line, "os.system(cmd)"),
            Context::Service,
            Source::Code,
            Confidence::High,
        )
    }

    fn setting(name: &str, off: bool) -> (String, Setting) {
        (
            "hc/settings.py".into(),
            Setting {
                name: name.into(),
                line: 9,
                off,
            },
        )
    }

    fn gates() -> HashMap<String, Vec<Gate>> {
        HashMap::from([(
            "hc/shell.py".to_string(),
            vec![Gate {
                first: 6,
                last: 8,
                name: "SHELL_ENABLED".into(),
                line: 2,
            }],
        )])
    }

    #[test]
    fn gated_evidence_of_an_off_setting_is_optional() {
        let mut hits = [
            hit("hc/shell.py", 7),
            hit("hc/shell.py", 11),
            hit("hc/other.py", 7),
        ];
        apply(&[setting("SHELL_ENABLED", true)], &gates(), &mut hits);
        assert_eq!(hits[0].evidence.context, Context::Optional);
        let why = hits[0].evidence.reason.as_deref().unwrap_or("");
        assert!(why.contains("SHELL_ENABLED is on (hc/shell.py:2)"), "{why}");
        assert!(why.contains("hc/settings.py:9 leaves it off"), "{why}");
        // Outside the gate, and in another file: counted as before.
        assert_eq!(hits[1].evidence.context, Context::Service);
        assert_eq!(hits[2].evidence.context, Context::Service);
    }

    #[test]
    fn a_setting_that_is_on_or_unknown_gates_nothing() {
        for settings in [
            vec![setting("SHELL_ENABLED", false)],
            // Off in one file, on in another (a production override).
            vec![
                setting("SHELL_ENABLED", true),
                setting("SHELL_ENABLED", false),
            ],
            // Never set in the tree: its default is not known.
            vec![setting("OTHER", true)],
        ] {
            let mut hits = [hit("hc/shell.py", 7)];
            apply(&settings, &gates(), &mut hits);
            assert_eq!(hits[0].evidence.context, Context::Service, "{settings:?}");
        }
    }
}
