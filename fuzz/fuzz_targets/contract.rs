//! cargo-fuzz entry point (nightly): `cargo fuzz run contract`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| slaengine_fuzz::contract(data));
