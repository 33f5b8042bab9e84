//! The three entry points: [`ingest`], [`make_variant`], [`thumbnail`].

use fast_image_resize::Resizer;
use sha2::{Digest, Sha256};

use crate::decode;
use crate::encode::{self, GifAnimation};
use crate::header::sniff_with;
use crate::raster::{Raster, fit};
use crate::{Format, Header, ImageError, Limits, Variant, VariantFormat};

/// JPEG quality of a stored master.
pub const MASTER_JPEG_QUALITY: u8 = 90;
/// JPEG quality of an uncapped [`thumbnail`].
pub const THUMBNAIL_JPEG_QUALITY: u8 = 80;
/// The lowest JPEG quality tried before the dimensions are reduced.
const MIN_JPEG_QUALITY: u8 = 20;
/// The smallest palette tried before the dimensions are reduced.
const MIN_COLORS: u16 = 16;
/// Below this longest side a byte cap is declared unreachable.
const MIN_SIDE: u32 = 16;

/// A sanitised master, ready to be stored under its content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Master {
    /// The file: re-encoded, upright, no metadata.
    pub bytes: Vec<u8>,
    /// Its format: JPEG for JPEG uploads (q90), PNG for PNG uploads and still GIFs (lossless,
    /// alpha kept only when some pixel is transparent), GIF for animated GIFs (frames re-encoded
    /// from their palette indices).
    pub format: Format,
    /// Width in pixels (upright).
    pub width: u32,
    /// Height in pixels (upright).
    pub height: u32,
    /// Frames (1 unless an animated GIF).
    pub frames: u32,
    /// Lower-case hex SHA-256 of `bytes`, for the file name.
    pub sha256_hex: String,
}

/// Checks size and header against the limits; nothing is decoded.
fn admit(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge { bytes: bytes.len(), limit: limits.max_bytes });
    }
    let header = sniff_with(bytes, limits)?;
    header.check(limits)?;
    Ok(header)
}

/// Validates an upload and produces its sanitised master.
///
/// Order: byte size → header (format, dimensions, frames, memory estimate) → decode (a JPEG at
/// the smallest IDCT scale — 1, 1/2, 1/4, 1/8 — whose long side is still at least half of
/// [`Limits::master_max_side`]) → EXIF orientation → scale down to `master_max_side` if still
/// larger (PNG, GIF) → re-encode without metadata. The upload itself is not kept.
///
/// # Errors
/// Any [`ImageError`]; limit refusals happen before decoding ([`ImageError::is_limit`]).
pub fn ingest(bytes: &[u8], limits: &Limits) -> Result<Master, ImageError> {
    let header = admit(bytes, limits)?;
    let (bytes, format, width, height, frames) = if header.is_animated() {
        let out = decode::gif_remux(bytes, &header, limits)?;
        // Sniff the written file: frames the decoder skipped as broken are not counted.
        let h = sniff_with(&out, limits)?;
        (out, Format::Gif, h.width, h.height, h.frames)
    } else {
        let (ow, oh) = header.oriented_size();
        let side = limits.master_max_side.max(2);
        // Shrink-on-load: a JPEG decodes at the smallest IDCT scale whose long side is still
        // ≥ side/2, which lands in [side/2, side) — no resampling pass, no full-size buffer.
        let load = fit(ow, oh, side / 2, side / 2);
        let src = decode::still(bytes, &header, Some(load), limits)?;
        let (tw, th) = fit(src.w, src.h, side, side);
        let r =
            if (tw, th) == (src.w, src.h) { src } else { src.resized(tw, th, &mut Resizer::new()) };
        match header.format {
            Format::Jpeg => (encode::jpeg(&r, MASTER_JPEG_QUALITY)?, Format::Jpeg, tw, th, 1),
            _ => (encode::png_true(&r.drop_opaque_alpha())?, Format::Png, tw, th, 1),
        }
    };
    let sha256_hex = hex::encode(Sha256::digest(&bytes));
    Ok(Master { bytes, format, width, height, frames, sha256_hex })
}

/// Renders one variant of a stored master: resize into the variant's box, encode in its
/// format, and lower JPEG quality, GIF/PNG palette size and finally the dimensions until the
/// byte cap is met. The master is checked against [`Limits::default`] again (files on disk are
/// not trusted blindly). [`Variant::output_format`] tells the format of the result.
///
/// # Errors
/// Any [`ImageError`]; [`ImageError::ByteCapUnreachable`] when even a 16 px image is too big.
pub fn make_variant(master: &[u8], variant: &Variant) -> Result<Vec<u8>, ImageError> {
    let limits = Limits::default();
    let header = admit(master, &limits)?;
    let format = variant.output_format(&header);
    let (bw, bh) = variant.box_size();
    let plan = Plan {
        format,
        max_bytes: Some(variant.max_bytes as usize),
        quality: variant.class.jpeg_quality(),
        colors: variant.colors,
        // Keitai PNG (J-PHONE C2, au WAP 1.0: ≤ 65k-colour screens, tiny caps) goes straight
        // to a palette; `auto` PNG (transparency on smartphones/PCs) tries truecolour first.
        png_truecolor: variant.format == VariantFormat::Auto,
    };
    if header.is_animated() && format == Format::Gif && variant.animates() {
        return animated(master, &header, (bw, bh), &plan, &limits);
    }
    still(master, &header, (bw, bh), &plan, &limits)
}

/// The operator/benchmark pipeline (`ashiato image thumbnail`): from an original upload
/// straight to a thumbnail `width` px wide (never enlarged; height follows the aspect ratio),
/// upright and metadata-free. `format` defaults to the input's; an animated GIF stays animated
/// when the output is GIF. With `max_bytes`, quality, palette and then size are lowered as for
/// variants.
///
/// # Errors
/// Any [`ImageError`]; [`ImageError::InvalidParameter`] for a zero width.
pub fn thumbnail(
    input: &[u8],
    width: u32,
    format: Option<Format>,
    max_bytes: Option<usize>,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    if width == 0 {
        return Err(ImageError::InvalidParameter("width must be at least 1".into()));
    }
    let header = admit(input, limits)?;
    let format = format.unwrap_or(header.format);
    let plan = Plan {
        format,
        max_bytes,
        quality: THUMBNAIL_JPEG_QUALITY,
        colors: 256,
        png_truecolor: true,
    };
    let bounds = (width, u32::MAX);
    if header.is_animated() && format == Format::Gif {
        return animated(input, &header, bounds, &plan, limits);
    }
    still(input, &header, bounds, &plan, limits)
}

/// What to encode.
struct Plan {
    format: Format,
    max_bytes: Option<usize>,
    quality: u8,
    colors: u16,
    /// PNG: try truecolour before a palette.
    png_truecolor: bool,
}

fn still(
    bytes: &[u8],
    header: &Header,
    (bw, bh): (u32, u32),
    plan: &Plan,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let (ow, oh) = header.oriented_size();
    let target = fit(ow, oh, bw, bh);
    let src = decode::still(bytes, header, Some(target), limits)?;
    encode_capped(&src, target, plan)
}

/// Encodes `src` resized to `target`, shrinking further until `plan.max_bytes` is met.
fn encode_capped(src: &Raster, target: (u32, u32), plan: &Plan) -> Result<Vec<u8>, ImageError> {
    let mut resizer = Resizer::new();
    let (mut w, mut h) = target;
    let mut smallest = usize::MAX;
    loop {
        let r = src.resized(w, h, &mut resizer);
        let (fitting, least) = encode_one(&r, plan)?;
        if let Some(out) = fitting {
            return Ok(out);
        }
        smallest = smallest.min(least);
        let cap = plan.max_bytes.unwrap_or(usize::MAX);
        if w.max(h) <= MIN_SIDE {
            return Err(ImageError::ByteCapUnreachable { max_bytes: cap, smallest });
        }
        // Bytes grow roughly with area: aim a little under the cap, by 10–50 % per step.
        let ratio = ((cap as f64 / least as f64).sqrt() * 0.95).clamp(0.5, 0.9);
        w = ((f64::from(w) * ratio) as u32).max(1);
        h = ((f64::from(h) * ratio) as u32).max(1);
    }
}

/// Tries quality/palette steps at one size: (a result within the cap, the smallest size seen).
fn encode_one(r: &Raster, plan: &Plan) -> Result<(Option<Vec<u8>>, usize), ImageError> {
    let cap = plan.max_bytes.unwrap_or(usize::MAX);
    let mut least = usize::MAX;
    let mut attempt = |out: Vec<u8>| -> Option<Vec<u8>> {
        least = least.min(out.len());
        (out.len() <= cap).then_some(out)
    };
    match plan.format {
        Format::Jpeg => {
            let rgb_or_grey = if r.ch == 4 { r.to_rgb_on_white() } else { r.clone() };
            let q0 = plan.quality;
            if let Some(out) = attempt(encode::jpeg(&rgb_or_grey, q0)?) {
                return Ok((Some(out), least));
            }
            // Largest quality in [MIN, q0) that fits, by bisection.
            let Some(mut best) = attempt(encode::jpeg(&rgb_or_grey, MIN_JPEG_QUALITY)?) else {
                return Ok((None, least));
            };
            let (mut lo, mut hi) = (MIN_JPEG_QUALITY, q0);
            while hi - lo > 4 {
                let mid = lo + (hi - lo) / 2;
                match attempt(encode::jpeg(&rgb_or_grey, mid)?) {
                    Some(out) => {
                        best = out;
                        lo = mid;
                    }
                    None => hi = mid,
                }
            }
            Ok((Some(best), least))
        }
        Format::Gif | Format::Png => {
            if plan.format == Format::Png && plan.png_truecolor && plan.colors >= 256 {
                // Truecolour first for PNG: lossless when it fits.
                if let Some(out) = attempt(encode::png_true(r)?) {
                    return Ok((Some(out), least));
                }
            }
            let mut colors = plan.colors.clamp(2, 256);
            loop {
                let q = encode::quantize(r, colors);
                let out = if plan.format == Format::Gif {
                    encode::gif_still(&q)?
                } else {
                    encode::png_indexed(&q)?
                };
                if let Some(out) = attempt(out) {
                    return Ok((Some(out), least));
                }
                if colors <= MIN_COLORS {
                    return Ok((None, least));
                }
                colors = (colors / 2).max(MIN_COLORS);
            }
        }
    }
}

/// Animated GIF output. Tries the full palette at the target size, then a quarter palette,
/// then smaller sizes; if the cap still cannot be met, falls back to a still first frame.
fn animated(
    bytes: &[u8],
    header: &Header,
    (bw, bh): (u32, u32),
    plan: &Plan,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let cap = plan.max_bytes.unwrap_or(usize::MAX);
    let (mut w, mut h) = fit(header.width, header.height, bw, bh);
    let mut colors = plan.colors.clamp(2, 256);
    for _ in 0..3 {
        match animation_once(bytes, header, (w, h), colors, cap, limits)? {
            Ok(out) => return Ok(out),
            Err(size) => {
                // Over the cap (the encoder stops early, so `size` may undercount).
                if colors > 64 {
                    colors = 64;
                } else {
                    let ratio = ((cap as f64 / size as f64).sqrt() * 0.9).clamp(0.5, 0.9);
                    w = ((f64::from(w) * ratio) as u32).max(1);
                    h = ((f64::from(h) * ratio) as u32).max(1);
                }
            }
        }
    }
    let still_plan = Plan { format: Format::Gif, ..*plan };
    still(bytes, header, (bw, bh), &still_plan, limits)
}

/// One pass over all frames; `Err(bytes)` when the cap was exceeded.
fn animation_once(
    bytes: &[u8],
    header: &Header,
    (w, h): (u32, u32),
    colors: u16,
    cap: usize,
    limits: &Limits,
) -> Result<Result<Vec<u8>, usize>, ImageError> {
    let mut resizer = Resizer::new();
    let mut anim = GifAnimation::new(colors);
    for frame in decode::gif_frames(bytes, limits)? {
        let (canvas, delay) = frame?;
        anim.push(&canvas.resized(w, h, &mut resizer), delay, header.loop_count)?;
        if anim.len() > cap {
            return Ok(Err(anim.len()));
        }
    }
    if anim.frames() == 0 {
        return Err(ImageError::corrupt(Format::Gif, "no image in file"));
    }
    let out = anim.finish()?;
    if out.len() > cap {
        return Ok(Err(out.len()));
    }
    Ok(Ok(out))
}
