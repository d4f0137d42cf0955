//! The stdio benchmark service: one JSON request per line on stdin, one
//! transformed JSON response per line on stdout.
//!
//! Request:  {"id":7,"name":"ada","values":[1,2,3]}
//! Response: {"id":7,"name":"ADA","sum":6,"count":3}
//!
//! JSON is read and written with serde_json, as a Rust service would.

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

#[derive(serde::Deserialize)]
struct Request<'a> {
    id: i64,
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    values: Vec<i64>,
}

#[derive(serde::Serialize)]
struct Response {
    id: i64,
    name: String,
    sum: i64,
    count: usize,
}

/// Turns one request line into one response line (with its newline).
fn transform(line: &str) -> String {
    let Ok(req) = serde_json::from_str::<Request>(line) else {
        return "{\"error\":\"bad request\"}\n".to_string();
    };
    let resp = Response {
        id: req.id,
        name: req.name.to_uppercase(),
        sum: req.values.iter().sum(),
        count: req.values.len(),
    };
    let mut out =
        serde_json::to_string(&resp).unwrap_or_else(|_| "{\"error\":\"internal\"}".to_string());
    out.push('\n');
    out
}
