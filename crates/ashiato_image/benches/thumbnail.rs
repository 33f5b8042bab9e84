//! The image pipeline on generated inputs (performance.md P2, P9):
//!
//! - `thumbnail/12mp_jpeg_to_240_jpeg`, `…_to_480_jpeg`: a 4000×3000 noisy camera-like JPEG
//!   (q92, 4:2:0) straight to a thumbnail, as `ashiato image thumbnail` does.
//! - `thumbnail/anim_gif_to_240`: an animated GIF of about 2 MB (480×360, noisy frames) to an
//!   animated 240 px GIF.
//! - `ingest/5mp_jpeg_plus_240j_480a`: P9 — a 2592×1944 handset JPEG to its master and both
//!   variants.
//! - `ingest/12mp_jpeg`, `variant/240j_from_master`: the two halves of the stored pipeline.
//!
//! Set `ASHIATO_BENCH_JPEG` / `ASHIATO_BENCH_GIF` to files (e.g. the ones `bench/compare.sh`
//! makes) to measure those instead of the generated inputs.

use std::hint::black_box;

use ashiato_image::{Limits, Variant, ingest, make_variant, thumbnail};
use criterion::{Criterion, criterion_group, criterion_main};

/// Deterministic camera-like RGB: gradients plus per-pixel noise.
fn photo(w: u32, h: u32) -> Vec<u8> {
    let mut s = 0x9E37_79B9u32;
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let n = (s & 31) as i32 - 16;
            let r = (x * 255 / w) as i32 + n;
            let g = (y * 255 / h) as i32 + n;
            let b = ((x ^ y) & 255) as i32 / 2 + 64 + n;
            out.extend([r, g, b].map(|c| c.clamp(0, 255) as u8));
        }
    }
    out
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 92);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.encode(&photo(w, h), w as u16, h as u16, jpeg_encoder::ColorType::Rgb).expect("jpeg");
    out
}

fn animated_gif() -> Vec<u8> {
    let (w, h) = (480u16, 360u16);
    let base = photo(u32::from(w) * 2, u32::from(h));
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, w, h, &[]).expect("gif");
        enc.set_repeat(gif::Repeat::Infinite).expect("repeat");
        for i in 0..24usize {
            // A panning window over a wider noisy image: every pixel changes every frame.
            let mut rgba = Vec::with_capacity(usize::from(w) * usize::from(h) * 4);
            for y in 0..usize::from(h) {
                let row = (y * usize::from(w) * 2 + i * 8) * 3;
                for p in base[row..row + usize::from(w) * 3].chunks_exact(3) {
                    rgba.extend([p[0], p[1], p[2], 255]);
                }
            }
            let mut f = gif::Frame::from_rgba_speed(w, h, &mut rgba, 10);
            f.delay = 8;
            enc.write_frame(&f).expect("frame");
        }
    }
    out
}

fn input(var: &str, make: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    match std::env::var_os(var) {
        Some(path) => std::fs::read(&path).expect("benchmark input file"),
        None => make(),
    }
}

fn benches(c: &mut Criterion) {
    let limits = Limits::default();
    let cam = input("ASHIATO_BENCH_JPEG", || jpeg(4000, 3000));
    let anim = input("ASHIATO_BENCH_GIF", animated_gif);
    eprintln!("inputs: JPEG {} bytes, GIF {} bytes", cam.len(), anim.len());

    let mut g = c.benchmark_group("thumbnail");
    g.sample_size(20);
    for width in [240, 480] {
        g.bench_function(format!("12mp_jpeg_to_{width}_jpeg"), |b| {
            b.iter(|| thumbnail(black_box(&cam), width, None, None, &limits).expect("thumbnail"));
        });
    }
    g.sample_size(10);
    g.bench_function("anim_gif_to_240", |b| {
        b.iter(|| thumbnail(black_box(&anim), 240, None, None, &limits).expect("thumbnail"));
    });
    g.finish();

    let handset = jpeg(2592, 1944);
    let v240: Variant = "240j".parse().expect("key");
    let v480: Variant = "480a".parse().expect("key");
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.bench_function("5mp_jpeg_plus_240j_480a", |b| {
        b.iter(|| {
            let m = ingest(black_box(&handset), &limits).expect("ingest");
            let a = make_variant(&m.bytes, &v240).expect("240j");
            let b = make_variant(&m.bytes, &v480).expect("480a");
            (a.len(), b.len())
        });
    });
    g.bench_function("12mp_jpeg", |b| b.iter(|| ingest(black_box(&cam), &limits).expect("ingest")));
    g.finish();

    let master = ingest(&cam, &limits).expect("ingest");
    let mut g = c.benchmark_group("variant");
    g.sample_size(20);
    g.bench_function("240j_from_master", |b| {
        b.iter(|| make_variant(black_box(&master.bytes), &v240).expect("variant"));
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
