use ledger_common::shell::Shell;
use notify::{RecursiveMode, Watcher};
use std::path::Path;

fn main() -> notify::Result<()> {
    println!("completions for {:?}", Shell::current());
    // Reload the client's config when it changes.
    let mut watcher = notify::recommended_watcher(|res| {
        if let Ok(event) = res {
            println!("config changed: {event:?}");
        }
    })?;
    watcher.watch(Path::new("ledger.toml"), RecursiveMode::NonRecursive)?;
    std::thread::park();
    Ok(())
}
