//! A fuzz driver for the stable toolchain (cargo-fuzz needs nightly): mutates the seed
//! corpus of a target for a given time, runs the target on each input and stops at the
//! first panic, saving the input to `fuzz/artifacts/<target>/`.
//!
//! ```sh
//! cargo run --release --manifest-path fuzz/Cargo.toml --bin stable -- calendar 600
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: small, fast, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens worth splicing into text inputs.
const TOKENS: [&[u8]; 29] = [
    b": ",
    b"\n",
    b"  ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"&a ",
    b"*a",
    b"\"",
    b"'",
    b"#",
    b"24:00",
    b"09:00-18:00",
    b"2026-03-29",
    b"working days",
    b"calendar hours",
    b"1h30m",
    b"mon-fri",
    b"extends: standard",
    b"resolved",
    b"paused",
    b"null",
    b"-1",
    b"BEGIN:VEVENT\r\n",
    b"END:VEVENT\r\n",
    b"DTSTART;VALUE=DATE:",
    b"RRULE:FREQ=YEARLY;",
    b"EXDATE:",
];

/// One mutation of `input`, built from the corpus.
fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            2 => out.insert(at, rng.next() as u8),
            3 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            4 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                let len = rng.below(64).min(other.len() - from);
                out.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => {
                let digits = rng.next().to_string();
                out.splice(at..at, digits.bytes().take(1 + rng.below(6)));
            }
        }
    }
    out.truncate(1 << 16);
    out
}

fn corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(name) = args.get(1) else {
        eprintln!(
            "usage: stable TARGET [SECONDS] [SEED]   (targets: contract, ticket, duration, calendar, holidays)"
        );
        std::process::exit(2);
    };
    let Some((_, target)) = slaengine_fuzz::TARGETS.iter().find(|(n, _)| n == name) else {
        eprintln!(
            "unknown target `{name}`: expected contract, ticket, duration, calendar or holidays"
        );
        std::process::exit(2);
    };
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = corpus(&root.join("corpus").join(name));
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    let mut rng = Rng(seed | 1);
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    // Quiet panics: the driver reports them itself.
    std::panic::set_hook(Box::new(|_| {}));
    // A watchdog: an input that runs longer than 10 s is a hang, saved like a crash.
    let current: std::sync::Arc<std::sync::Mutex<(Instant, Vec<u8>)>> =
        std::sync::Arc::new(std::sync::Mutex::new((Instant::now(), Vec::new())));
    {
        let current = std::sync::Arc::clone(&current);
        let dir = root.join("artifacts").join(name);
        let name = name.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if let Ok(c) = current.lock()
                    && c.0.elapsed() > Duration::from_secs(10)
                {
                    let _ = std::fs::create_dir_all(&dir);
                    let file = dir.join("hang");
                    let _ = std::fs::write(&file, &c.1);
                    eprintln!(
                        "{name}: an input ran for more than 10 s; saved to {}",
                        file.display()
                    );
                    std::process::exit(1);
                }
            }
        });
    }
    while Instant::now() < end {
        for _ in 0..64 {
            let base = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, base, &seeds);
            if let Ok(mut c) = current.lock() {
                *c = (Instant::now(), input.clone());
            }
            if std::panic::catch_unwind(|| target(&input)).is_err() {
                let dir = root.join("artifacts").join(name);
                let _ = std::fs::create_dir_all(&dir);
                let file = dir.join(format!("crash-{runs}"));
                let _ = std::fs::write(&file, &input);
                let _ = std::panic::take_hook();
                eprintln!(
                    "{name}: a panic after {runs} runs; input saved to {}",
                    file.display()
                );
                // Run it again with the default hook to show the message.
                target(&input);
                std::process::exit(1);
            }
            runs += 1;
            // Inputs that pass join the pool now and then, so mutations go deeper.
            if rng.below(1000) == 0 && seeds.len() < 4096 {
                seeds.push(input);
            }
        }
    }
    println!("{name}: {runs} runs in {seconds} s, no finding (seed {seed})");
}
