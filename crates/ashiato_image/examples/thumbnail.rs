//! Runs the thumbnail pipeline on a file, like the lead's future `ashiato image thumbnail`:
//!
//! ```text
//! cargo run --release -p ashiato_image --example thumbnail -- --width 240 [--format jpeg|gif|png] [--max-bytes N] IN OUT
//! ```

use std::process::ExitCode;

use ashiato_image::{Format, Limits, thumbnail};

fn usage() -> ExitCode {
    eprintln!("usage: thumbnail --width W [--format jpeg|gif|png] [--max-bytes N] IN OUT");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut width = None;
    let mut format = None;
    let mut max_bytes = None;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--width" => width = args.next().and_then(|v| v.parse::<u32>().ok()),
            "--format" => match args.next().as_deref().and_then(Format::from_name) {
                Some(f) => format = Some(f),
                None => return usage(),
            },
            "--max-bytes" => match args.next().and_then(|v| v.parse::<usize>().ok()) {
                Some(n) => max_bytes = Some(n),
                None => return usage(),
            },
            _ => paths.push(a),
        }
    }
    let (Some(width), [input, output]) = (width, paths.as_slice()) else {
        return usage();
    };
    let bytes = match std::fs::read(input) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match thumbnail(&bytes, width, format, max_bytes, &Limits::default()) {
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
