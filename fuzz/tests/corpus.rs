//! Every target over its seed corpus, then 3,000 mutations of it with a fixed seed: what
//! CI runs (the long runs are `stable TARGET 600`, see fuzz/README.md).

use std::path::Path;

#[test]
fn every_target_survives_its_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, target) in slaengine_fuzz::TARGETS {
        let dir = root.join("corpus").join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            target(&data);
            n += 1;
        }
        assert!(n > 0, "{name}: empty corpus");
    }
}

#[test]
fn every_target_survives_a_short_run() {
    for (name, _) in slaengine_fuzz::TARGETS {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stable"))
            .args([name, "3"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
