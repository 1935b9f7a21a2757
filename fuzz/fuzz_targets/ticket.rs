//! cargo-fuzz entry point (nightly): `cargo fuzz run ticket`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| slaengine_fuzz::ticket(data));
