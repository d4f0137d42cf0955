// A build script that never finishes: `wasmfit plan --try-build` must kill
// it at its time limit and report the build as timed out.
fn main() {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
