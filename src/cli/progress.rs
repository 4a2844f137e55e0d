//! Progress display: an indicatif spinner on a terminal, plain lines on stderr otherwise (CI logs).
use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(interactive: bool) -> Self {
        let bar = interactive.then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").expect("static template"));
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Progress { bar }
    }
    pub fn message(&self, m: &str) {
        match &self.bar {
            Some(b) => {
                b.println(m);
                b.set_message(m.to_string());
            }
            None => eprintln!("{m}"),
        }
    }
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
