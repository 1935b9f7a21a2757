//! cargo-fuzz entry point (nightly): `cargo fuzz run holidays`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| slaengine_fuzz::holidays(data));
