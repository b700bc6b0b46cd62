//! What `cargo xtask test` started, stopped on every way out: a normal end, a failure,
//! Ctrl-C or SIGTERM.
//!
//! Each step runs in a process group of its own, so that a signal stops the step and
//! everything it started (test binaries, their servers and browsers), and nothing else.
//! Services that outlive a step (the tests' PostgreSQL) register how to stop them.

use std::sync::Mutex;

/// The process group of the step running now (its leader's PID).
static STEP: Mutex<Option<u32>> = Mutex::new(None);
/// How to stop a service.
type Stop = Box<dyn Fn() + Send>;
/// How to stop the services that outlive a step, newest last, by number.
static SERVICES: Mutex<Vec<(u64, Stop)>> = Mutex::new(Vec::new());

/// Puts `command` in a process group of its own, led by the child.
pub fn own_group(command: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    command.process_group(0)
}

/// The step whose leader is `pid` has started.
pub fn started(pid: u32) {
    *STEP.lock().unwrap_or_else(|e| e.into_inner()) = Some(pid);
}

/// The step has ended.
pub fn ended() {
    *STEP.lock().unwrap_or_else(|e| e.into_inner()) = None;
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
        if let Some(pid) = *STEP.lock().unwrap_or_else(|e| e.into_inner()) {
            // The negative PID names the group: the step and everything it started.
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .status();
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
