use portable_pty::{native_pty_system, CommandBuilder, PtySize};

/// Runs the command line it is given in a pseudo-terminal, for the client.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pty = native_pty_system();
    let pair = pty.openpty(PtySize::default()).expect("pty");
    let mut cmd = CommandBuilder::new(&args[0]);
    cmd.args(&args[1..]);
    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
    child.wait().expect("wait");
}
