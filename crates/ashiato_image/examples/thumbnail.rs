//! Runs the thumbnail pipeline on a file, like the lead's future `ashiato image thumbnail`:
//!
//! ```text
//! cargo run --release -p ashiato_image --example thumbnail -- --width 240 [--format jpeg|gif|png] [--max-bytes N] IN OUT
//! cargo run --release -p ashiato_image --example thumbnail -- --ingest IN MASTER
//! cargo run --release -p ashiato_image --example thumbnail -- --variant 240j MASTER OUT
//! ```
//!
//! `--ingest` writes the sanitised master and prints its SHA-256, format and size;
//! `--variant KEY` renders one variant of a master (for benchmarks of the stored pipeline).

use std::process::ExitCode;

use ashiato_image::{Format, Limits, Variant, ingest, make_variant, thumbnail};

fn usage() -> ExitCode {
    eprintln!("usage: thumbnail --width W [--format jpeg|gif|png] [--max-bytes N] IN OUT");
    eprintln!("       thumbnail --ingest IN MASTER | --variant KEY MASTER OUT");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut width = None;
    let mut format = None;
    let mut max_bytes = None;
    let mut paths = Vec::new();
    let mut mode_ingest = false;
    let mut variant: Option<Variant> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--width" => width = args.next().and_then(|v| v.parse::<u32>().ok()),
            "--format" => match args.next().as_deref().and_then(Format::from_name) {
                Some(f) => format = Some(f),
                None => return usage(),
            },
            "--ingest" => mode_ingest = true,
            "--variant" => match args.next().and_then(|v| v.parse::<Variant>().ok()) {
                Some(v) => variant = Some(v),
                None => return usage(),
            },
            "--max-bytes" => match args.next().and_then(|v| v.parse::<usize>().ok()) {
                Some(n) => max_bytes = Some(n),
                None => return usage(),
            },
            _ => paths.push(a),
        }
    }
    let [input, output] = paths.as_slice() else {
        return usage();
    };
    let bytes = match std::fs::read(input) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match (mode_ingest, variant, width) {
        (true, None, None) => ingest(&bytes, &Limits::default()).map(|m| {
            eprintln!(
                "{} {:?} {}x{} {} frame(s)",
                m.sha256_hex, m.format, m.width, m.height, m.frames
            );
            m.bytes
        }),
        (false, Some(v), None) => make_variant(&bytes, &v),
        (false, None, Some(w)) => thumbnail(&bytes, w, format, max_bytes, &Limits::default()),
        _ => return usage(),
    };
    match result {
        Ok(out) => match std::fs::write(output, out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{output}: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{input}: {e}");
            ExitCode::FAILURE
        }
    }
}
