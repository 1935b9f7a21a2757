//! Load: `watch` plus four processes adding tickets and events as fast as they can for
//! 60 s (`SLAENGINE_LOAD_SECONDS` changes it): no error, no lost write, and the watcher's
//! memory flat.

use std::time::{Duration, Instant};

use super::watch::Project;

#[test]
fn watch_and_four_writers_lose_nothing_and_the_watcher_stays_flat() {
    let seconds: u64 = std::env::var("SLAENGINE_LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let p = Project::new();
    let mut w = p.watch(&["--interval", "200ms"]);
    for c in ["acme", "globex", "initech"] {
        w.wait_event("loaded", c);
    }
    let end = Instant::now() + Duration::from_secs(seconds);
    let written = std::thread::scope(|s| {
        let writers: Vec<_> = (0..4)
            .map(|n| {
                let p = &p;
                s.spawn(move || {
                    let mut done = 0usize;
                    while Instant::now() < end {
                        // A ticket, its assignment and its resolution: three commands,
                        // three transactions; the ticket ends closed.
                        let id = format!("W{n}-{done:05}");
                        let ticket = format!(
                            "id: {id}\ncustomer: acme\ncategory: error.module_failure\nregistered: 2026-03-10T10:00:00+05:00\n"
                        );
                        let (code, _, err) = p.run(&["ticket", "add", "-"], &ticket);
                        assert_eq!(code, 0, "{id}: {err}");
                        for (kind, at) in [
                            ("assigned", "2026-03-10T10:10:00+05:00"),
                            ("resolved", "2026-03-10T12:00:00+05:00"),
                        ] {
                            let (code, _, err) =
                                p.run(&["ticket", "event", &id, kind, "--at", at], "");
                            assert_eq!(code, 0, "{id} {kind}: {err}");
                        }
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        // Sample the watcher's memory while they write.
        let mut samples = Vec::new();
        while Instant::now() < end {
            if let Some(kib) = w.rss_kib() {
                samples.push(kib);
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let written: Vec<usize> = writers.into_iter().map(|h| h.join().unwrap()).collect();
        (written, samples)
    });
    let (written, samples) = written;
    let total: usize = written.iter().sum();
    println!(
        "{seconds} s: {written:?} tickets written (×3 transactions each), watcher RSS samples (KiB): first {:?}, last {:?}",
        samples.first(),
        samples.last()
    );
    assert!(total > 0);

    // No lost write: every ticket is there with both of its events.
    let (code, out, err) = p.run(&["ticket", "export"], "");
    assert_eq!(code, 0, "{err}");
    let tickets: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tickets.len(), total);
    assert!(
        tickets
            .iter()
            .all(|t| t["events"].as_array().map_or(0, Vec::len) == 2)
    );

    // The watcher ran without an error, and its memory is flat: the last third of the
    // samples peaks at most 25% (and 16 MiB) above the first third's peak.
    let (_, stderr) = w.stop();
    assert!(stderr.is_empty(), "{stderr:?}");
    let third = (samples.len() / 3).max(1);
    let early = samples[..third].iter().max().copied().unwrap_or(0);
    let late = samples[samples.len() - third..]
        .iter()
        .max()
        .copied()
        .unwrap_or(0);
    assert!(
        late <= early + (early / 4).max(16 * 1024),
        "watcher memory grew from {early} KiB to {late} KiB"
    );
}
