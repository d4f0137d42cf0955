//! Any JSON value as a few readable tables, for the parts of the report
//! whose shape another module owns (benchmark results, the scanned image).
//!
//! The HTML report must show them without knowing their fields, so the
//! layout is generic: top-level scalars make an overview, arrays of objects
//! make one table each, and sibling objects with the same fields (the
//! native, container and Wasm sides of a benchmark) become one comparison
//! table with a column per sibling.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Rows per table and characters per cell before cutting.
const MAX_ROWS: usize = 100;
const MAX_CELL: usize = 300;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub fn tables(v: &Value) -> Vec<Table> {
    let Value::Object(top) = v else {
        return vec![Table {
            title: String::new(),
            columns: vec!["value".into()],
            rows: vec![vec![cell(v)]],
        }];
    };
    let mut overview = Table {
        title: "Overview".into(),
        columns: vec!["field".into(), "value".into()],
        rows: Vec::new(),
    };
    let mut out = Vec::new();
    let mut objects: Vec<(&String, Vec<(String, String)>)> = Vec::new();
    for (k, child) in top {
        match child {
            Value::Object(o) => objects.push((k, flatten(o))),
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                out.push(array_table(k, items));
            }
            Value::Null => {}
            other => overview.rows.push(vec![k.clone(), cell(other)]),
        }
    }
    let mut tables = Vec::new();
    if !overview.rows.is_empty() {
        tables.push(overview);
    }
    tables.extend(group(objects));
    tables.extend(out);
    for t in &mut tables {
        t.rows.truncate(MAX_ROWS);
    }
    tables
}

/// Sibling objects sharing most of their fields go side by side.
fn group(objects: Vec<(&String, Vec<(String, String)>)>) -> Vec<Table> {
    let keys: Vec<BTreeSet<&str>> = objects
        .iter()
        .map(|(_, fields)| fields.iter().map(|(k, _)| k.as_str()).collect())
        .collect();
    let mut used = vec![false; objects.len()];
    let mut out = Vec::new();
    for i in 0..objects.len() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let mut members = vec![i];
        for (j, theirs) in keys.iter().enumerate().skip(i + 1) {
            let shared = keys[i].intersection(theirs).count();
            if !used[j] && shared >= 2 && shared * 2 > keys[i].len().max(theirs.len()) {
                used[j] = true;
                members.push(j);
            }
        }
        if members.len() == 1 {
            let (name, fields) = &objects[i];
            out.push(Table {
                title: (*name).clone(),
                columns: vec!["field".into(), "value".into()],
                rows: fields
                    .iter()
                    .map(|(k, v)| vec![k.clone(), v.clone()])
                    .collect(),
            });
            continue;
        }
        let mut rows_keys: Vec<String> = Vec::new();
        for &m in &members {
            for (k, _) in &objects[m].1 {
                if !rows_keys.contains(k) {
                    rows_keys.push(k.clone());
                }
            }
        }
        let mut columns = vec!["field".to_string()];
        columns.extend(members.iter().map(|&m| objects[m].0.clone()));
        let rows = rows_keys
            .iter()
            .map(|k| {
                let mut row = vec![k.clone()];
                for &m in &members {
                    row.push(
                        objects[m]
                            .1
                            .iter()
                            .find(|(kk, _)| kk == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_else(|| "—".into()),
                    );
                }
                row
            })
            .collect();
        let title = members
            .iter()
            .map(|&m| objects[m].0.as_str())
            .collect::<Vec<_>>()
            .join(" / ");
        out.push(Table {
            title,
            columns,
            rows,
        });
    }
    out
}

fn array_table(title: &str, items: &[Value]) -> Table {
    let flat: Vec<Vec<(String, String)>> = items
        .iter()
        .filter_map(Value::as_object)
        .map(flatten)
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &flat {
        for (k, _) in row {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let rows = flat
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| {
                    row.iter()
                        .find(|(k, _)| k == c)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    Table {
        title: title.to_string(),
        columns,
        rows,
    }
}

/// Nested fields become dotted names (`cold_start_ms.median`).
fn flatten(o: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk("", o, &mut out, 0);
    out
}

fn walk(prefix: &str, o: &Map<String, Value>, out: &mut Vec<(String, String)>, depth: usize) {
    for (k, v) in o {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if depth < 3 => walk(&name, inner, out, depth + 1),
            Value::Null => out.push((name, "—".into())),
            other => out.push((name, cell(other))),
        }
    }
}

fn cell(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => number(n),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Null => "—".into(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(cell).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    };
    if s.chars().count() > MAX_CELL {
        s.chars().take(MAX_CELL).collect::<String>() + "…"
    } else {
        s
    }
}

/// Floats with at most three decimals: measurements, not bit patterns.
fn number(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) => {
            let s = format!("{f:.3}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn siblings_with_the_same_fields_are_compared() {
        let v = json!({
            "schema": 1,
            "native": {"runtime": "host", "cold_start_ms": {"median": 4.0, "p95": 5.25}},
            "wasm": {"runtime": "wasmtime", "cold_start_ms": {"median": 0.8, "p95": 1.0}},
            "machine": {"os": "linux", "cpus": 2},
            "skipped": [{"what": "container", "reason": "no docker"}],
        });
        let t = tables(&v);
        let by = |title: &str| {
            t.iter()
                .find(|t| t.title == title)
                .unwrap_or_else(|| panic!("{title}: {t:?}"))
        };
        assert_eq!(t.len(), 4);
        assert_eq!(by("Overview").rows, [["schema", "1"]]);
        assert_eq!(by("native / wasm").columns, ["field", "native", "wasm"]);
        assert!(by("native / wasm").rows.contains(&vec![
            "cold_start_ms.median".into(),
            "4".into(),
            "0.8".into()
        ]));
        assert_eq!(by("machine").rows.len(), 2);
        let skipped = by("skipped");
        assert_eq!(skipped.rows[0].len(), 2);
        assert!(skipped.rows[0].contains(&"no docker".to_string()));
    }
}
