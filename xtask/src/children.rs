//! What `cargo xtask test` started, stopped on every way out: a normal end, a failure,
//! Ctrl-C or SIGTERM.
//!
//! Each step runs in a process group of its own, so that a signal stops the step and
//! everything it started (test binaries, their servers and browsers), and nothing else.
//! Services that outlive a step (the tests' PostgreSQL) register how to stop them.

use std::sync::Mutex;

/// The process group of the step running now (its leader's PID), and whether a signal
/// asked everything to stop.
static STEP: Mutex<(Option<u32>, bool)> = Mutex::new((None, false));
/// How to stop a service.
type Stop = Box<dyn Fn() + Send>;
/// How to stop the services that outlive a step, newest last, by number.
static SERVICES: Mutex<Vec<(u64, Stop)>> = Mutex::new(Vec::new());

/// Runs `command` as a step: in a process group of its own, led by the child, known to
/// the signal handler while it runs; `read` reads its output, then it is waited for.
pub fn step(
    command: &mut std::process::Command,
    read: impl FnOnce(&mut std::process::Child) -> std::io::Result<()>,
) -> std::io::Result<std::process::ExitStatus> {
    use std::os::unix::process::CommandExt;
    let mut child = command.process_group(0).spawn()?;
    started(child.id());
    let status = read(&mut child).and_then(|()| child.wait());
    ended();
    status
}

/// The step whose leader is `pid` has started. If a signal came meanwhile, it is
/// stopped at once: no step outlives `cargo xtask test`.
fn started(pid: u32) {
    let mut step = STEP.lock().unwrap_or_else(|e| e.into_inner());
    if step.1 {
        kill_group(pid);
    } else {
        step.0 = Some(pid);
    }
}

/// The step has ended.
fn ended() {
    STEP.lock().unwrap_or_else(|e| e.into_inner()).0 = None;
}

/// Whether a signal asked everything to stop: then no new step starts.
pub fn stopping() -> bool {
    STEP.lock().unwrap_or_else(|e| e.into_inner()).1
}

/// SIGTERM to the process group `pid` leads: the step and everything it started.
fn kill_group(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", "--", &format!("-{pid}")])
        .status();
}

/// Registers how to stop a service; the number it returns unregisters it.
pub fn service(stop: impl Fn() + Send + 'static) -> u64 {
    let mut services = SERVICES.lock().unwrap_or_else(|e| e.into_inner());
    let id = services.last().map_or(0, |(id, _)| id + 1);
    services.push((id, Box::new(stop)));
    id
}

/// The service `id` was stopped by its owner.
pub fn stopped(id: u64) {
    SERVICES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|(i, _)| *i != id);
}

/// On Ctrl-C or SIGTERM: stops the running step's process group and the services, then
/// exits with 130.
pub fn stop_on_signal() {
    let installed = ctrlc::set_handler(|| {
        eprintln!("\ninterrupted: stopping what the tests started");
        let running = {
            let mut step = STEP.lock().unwrap_or_else(|e| e.into_inner());
            step.1 = true;
            step.0.take()
        };
        if let Some(pid) = running {
            kill_group(pid);
        }
        let services = std::mem::take(&mut *SERVICES.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, stop) in services.iter().rev() {
            stop();
        }
        std::process::exit(130);
    });
    if let Err(e) = installed {
        eprintln!("warning: cannot handle Ctrl-C: {e}");
    }
}
