//! The stdio benchmark service: one JSON request per line on stdin, one
//! transformed JSON response per line on stdout.
//!
//! Request:  {"id":7,"name":"ada","values":[1,2,3]}
//! Response: {"id":7,"name":"ADA","sum":6,"count":3}
//!
//! The parser is hand-written so the same work is done by the Rust, Go and C
//! samples without pulling in a JSON library; it accepts exactly the shape
//! above (fields in any order, no escapes in the name).

use std::io::{self, BufRead, Write};

fn main() {
    let mut input = io::BufReader::with_capacity(64 * 1024, io::stdin().lock());
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut line = String::new();
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let reply = transform(line.trim_end());
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
        // Flush only when no more input is already buffered: responses go out
        // at once to an interactive caller, and in batches under load.
        if input.buffer().is_empty() && out.flush().is_err() {
            return;
        }
    }
    let _ = out.flush();
}

/// Turns one request line into one response line (with its newline).
fn transform(line: &str) -> String {
    let (Some(id), Some(name), Some(values)) = (
        number_after(line, "\"id\":"),
        string_after(line, "\"name\":\""),
        list_after(line, "\"values\":["),
    ) else {
        return "{\"error\":\"bad request\"}\n".to_string();
    };
    let sum: i64 = values.iter().sum();
    format!(
        "{{\"id\":{id},\"name\":\"{}\",\"sum\":{sum},\"count\":{}}}\n",
        name.to_ascii_uppercase(),
        values.len()
    )
}

fn number_after(line: &str, key: &str) -> Option<i64> {
    let rest = &line[line.find(key)? + key.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn string_after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = &line[line.find(key)? + key.len()..];
    Some(&rest[..rest.find('"')?])
}

fn list_after(line: &str, key: &str) -> Option<Vec<i64>> {
    let rest = &line[line.find(key)? + key.len()..];
    let body = rest[..rest.find(']')?].trim();
    if body.is_empty() {
        return Some(Vec::new());
    }
    body.split(',').map(|v| v.trim().parse().ok()).collect()
}
