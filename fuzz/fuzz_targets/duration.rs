//! cargo-fuzz entry point (nightly): `cargo fuzz run duration`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| slaengine_fuzz::duration(data));
