//! Decoding under limits, with shrink-on-load for JPEG (IDCT scaling to 1/2, 1/4 or 1/8).
//!
//! Every entry point runs after [`crate::Header::check`]; the decoders get their own limits as
//! a second line of defence. Codec panics (none are known) are caught and reported as corrupt
//! input rather than unwinding through the caller.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{AnimationDecoder, ImageDecoder};

use crate::raster::Raster;
use crate::{Format, Header, ImageError, Limits};

/// Runs a codec call, turning a panic into [`ImageError::Corrupt`].
pub(crate) fn guarded<T>(
    format: Format,
    f: impl FnOnce() -> Result<T, ImageError>,
) -> Result<T, ImageError> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(ImageError::corrupt(format, "decoder failed on malformed data")))
}

/// Decodes a still image (the first frame of a GIF), upright (EXIF orientation applied).
///
/// `target` is the final upright size the caller will resize to; a JPEG is decoded at the
/// smallest IDCT scale that is still at least that large, a non-interlaced PNG is box-reduced
/// by the largest integer factor that keeps it at least that large. GIF decodes at full size.
pub(crate) fn still(
    bytes: &[u8],
    header: &Header,
    target: Option<(u32, u32)>,
    limits: &Limits,
) -> Result<Raster, ImageError> {
    let raster = guarded(header.format, || match header.format {
        Format::Jpeg => jpeg(bytes, header, target, limits),
        Format::Png => png(bytes, header, target, limits),
        Format::Gif => gif_first(bytes, limits),
    })?;
    Ok(raster.oriented(header.orientation))
}

fn jpeg_error(e: jpeg_decoder::Error) -> ImageError {
    const F: Format = Format::Jpeg;
    match e {
        jpeg_decoder::Error::Format(s) => ImageError::corrupt(F, s),
        jpeg_decoder::Error::Unsupported(u) => ImageError::unsupported(F, format!("{u:?}")),
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated(F)
        }
        other => ImageError::corrupt(F, other.to_string()),
    }
}

fn jpeg(
    bytes: &[u8],
    header: &Header,
    target: Option<(u32, u32)>,
    limits: &Limits,
) -> Result<Raster, ImageError> {
    // The decoder fills missing entropy-coded data with zeros; a file without an end-of-image
    // marker after its first scan is reported as truncated instead of decoded half grey.
    let data = bytes.get(header.scan_offset..).unwrap_or_default();
    if !data.windows(2).rev().any(|w| w == [0xFF, 0xD9]) {
        return Err(ImageError::Truncated(Format::Jpeg));
    }
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    d.read_info().map_err(jpeg_error)?;
    if let Some((tw, th)) = target {
        // The target is upright; the decoder works in stored orientation.
        let (tw, th) = if header.orientation >= 5 { (th, tw) } else { (tw, th) };
        let clamp = |v: u32| u16::try_from(v.max(1)).unwrap_or(u16::MAX);
        d.scale(clamp(tw), clamp(th)).map_err(jpeg_error)?;
    }
    let pixels = d.decode().map_err(jpeg_error)?;
    let info = d.info().ok_or_else(|| ImageError::corrupt(Format::Jpeg, "no frame decoded"))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if pixels.len() != w as usize * h as usize * info.pixel_format.pixel_bytes() {
        return Err(ImageError::corrupt(Format::Jpeg, "decoded size mismatch"));
    }
    let raster = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Raster::new(w, h, 1, pixels),
        jpeg_decoder::PixelFormat::L16 => {
            let shift = u32::from(header.bit_depth.saturating_sub(8));
            let data = pixels
                .chunks_exact(2)
                .map(|p| (u16::from_ne_bytes([p[0], p[1]]) >> shift).min(255) as u8)
                .collect();
            Raster::new(w, h, 1, data)
        }
        jpeg_decoder::PixelFormat::RGB24 => Raster::new(w, h, 3, pixels),
        jpeg_decoder::PixelFormat::CMYK32 => {
            // The decoder returns ink amounts (Adobe's inverted storage undone):
            // R = (255 − C)(255 − K) / 255, likewise G from M and B from Y.
            let data = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u32::from(p[3]);
                    let f = |c: u8| (((255 - u32::from(c)) * k + 127) / 255) as u8;
                    [f(p[0]), f(p[1]), f(p[2])]
                })
                .collect();
            Raster::new(w, h, 3, data)
        }
    };
    Ok(raster)
}

fn png_error(e: png::DecodingError) -> ImageError {
    const F: Format = Format::Png;
    match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated(F)
        }
        png::DecodingError::LimitsExceeded => {
            ImageError::DecoderLimit { format: F, detail: "memory limit".into() }
        }
        other => ImageError::corrupt(F, other.to_string()),
    }
}

/// PNG, expanded to 8-bit grey/RGB/RGBA. A non-interlaced PNG larger than twice the target is
/// box-averaged row by row while it streams in (alpha-weighted), so only the reduced image is
/// ever held — the PNG equivalent of JPEG shrink-on-load. Interlaced PNGs decode whole.
fn png(
    bytes: &[u8],
    header: &Header,
    target: Option<(u32, u32)>,
    limits: &Limits,
) -> Result<Raster, ImageError> {
    const F: Format = Format::Png;
    let budget = png::Limits { bytes: usize::try_from(limits.max_alloc).unwrap_or(usize::MAX) };
    let mut dec = png::Decoder::new_with_limits(Cursor::new(bytes), budget);
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(png_error)?;
    let (w, h, interlaced) = {
        let info = reader.info();
        (info.width, info.height, info.interlaced)
    };
    let ch: u8 = match reader.output_color_type().0 {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err(ImageError::corrupt(F, "palette not expanded")),
    };
    let k = match target {
        Some((tw, th)) if !interlaced => {
            let (tw, th) = if header.orientation >= 5 { (th, tw) } else { (tw, th) };
            (w / tw.max(1)).min(h / th.max(1)).max(1)
        }
        _ => 1,
    };
    let (ow, oh, data) = if k == 1 {
        let size = reader
            .output_buffer_size()
            .ok_or(ImageError::DecoderLimit { format: F, detail: "image too large".into() })?;
        let mut buf = vec![0u8; size];
        let out = reader.next_frame(&mut buf).map_err(png_error)?;
        buf.truncate(out.buffer_size());
        (w, h, buf)
    } else {
        let (ow, oh) = (w / k, h / k);
        let (chu, ku, owu) = (usize::from(ch), k as usize, ow as usize);
        let alpha = ch.is_multiple_of(2);
        let n = u64::from(k) * u64::from(k);
        let mut acc = vec![0u64; owu * chu];
        let mut out = Vec::with_capacity(owu * oh as usize * chu);
        let mut y = 0u32;
        while let Some(row) = reader.next_row().map_err(png_error)? {
            if y / k < oh {
                let d = row.data();
                if d.len() < owu * ku * chu {
                    return Err(ImageError::corrupt(F, "short row"));
                }
                for (sum, px) in acc.chunks_exact_mut(chu).zip(d.chunks_exact(chu * ku)) {
                    for p in px.chunks_exact(chu) {
                        if alpha {
                            let a = u64::from(p[chu - 1]);
                            for c in 0..chu - 1 {
                                sum[c] += u64::from(p[c]) * a;
                            }
                            sum[chu - 1] += a;
                        } else {
                            for c in 0..chu {
                                sum[c] += u64::from(p[c]);
                            }
                        }
                    }
                }
                if (y + 1).is_multiple_of(k) {
                    for sum in acc.chunks_exact_mut(chu) {
                        if alpha {
                            let a = sum[chu - 1];
                            for &v in &sum[..chu - 1] {
                                out.push((v + a / 2).checked_div(a).unwrap_or(0) as u8);
                            }
                            out.push(((a + n / 2) / n) as u8);
                        } else {
                            out.extend(sum.iter().map(|&v| ((v + n / 2) / n) as u8));
                        }
                        sum.fill(0);
                    }
                }
            }
            y += 1;
        }
        if out.len() != owu * oh as usize * chu {
            return Err(ImageError::Truncated(F));
        }
        (ow, oh, out)
    };
    let raster = if ch == 2 {
        let rgba = data.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect();
        Raster::new(ow, oh, 4, rgba)
    } else {
        Raster::new(ow, oh, ch, data)
    };
    Ok(raster.drop_opaque_alpha())
}

fn gif_decoder<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<image::codecs::gif::GifDecoder<Cursor<&'a [u8]>>, ImageError> {
    let err = |e: image::ImageError| crate::error::from_image(Format::Gif, &e);
    let mut dec = image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).map_err(err)?;
    dec.set_limits(limits.image_limits()).map_err(err)?;
    Ok(dec)
}

fn gif_first(bytes: &[u8], limits: &Limits) -> Result<Raster, ImageError> {
    let mut frames = gif_decoder(bytes, limits)?.into_frames();
    let frame = frames
        .next()
        .ok_or_else(|| ImageError::corrupt(Format::Gif, "no image in file"))?
        .map_err(|e| crate::error::from_image(Format::Gif, &e))?;
    let buf = frame.into_buffer();
    let (w, h) = buf.dimensions();
    Ok(Raster::new(w, h, 4, buf.into_raw()).drop_opaque_alpha())
}

/// Composited GIF frames (RGBA at canvas size) with their delays in centiseconds, decoded one
/// at a time.
pub(crate) fn gif_frames<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<impl Iterator<Item = Result<(Raster, u16), ImageError>> + 'a, ImageError> {
    let frames = gif_decoder(bytes, limits)?.into_frames();
    Ok(frames.map(|f| {
        guarded(Format::Gif, || {
            let frame = f.map_err(|e| crate::error::from_image(Format::Gif, &e))?;
            let (num, den) = frame.delay().numer_denom_ms();
            let cs =
                u16::try_from(u64::from(num) / (u64::from(den.max(1)) * 10)).unwrap_or(u16::MAX);
            let buf = frame.into_buffer();
            let (w, h) = buf.dimensions();
            Ok((Raster::new(w, h, 4, buf.into_raw()), cs))
        })
    }))
}

/// Re-encodes an animated GIF frame by frame from its palette indices: pixels, palettes,
/// delays, disposal and transparency are kept; comments, XMP and every other extension are
/// dropped. Returns the new file.
pub(crate) fn gif_remux(
    bytes: &[u8],
    header: &Header,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    const F: Format = Format::Gif;
    guarded(F, || {
        let derr = |e: gif::DecodingError| match e {
            gif::DecodingError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                ImageError::Truncated(F)
            }
            other => ImageError::corrupt(F, other.to_string()),
        };
        let eerr = |e: gif::EncodingError| ImageError::encode(F, e);
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let frame_limit = limits.max_pixels.min(limits.max_alloc).max(1);
        if let Some(n) = std::num::NonZeroU64::new(frame_limit) {
            opts.set_memory_limit(gif::MemoryLimit::Bytes(n));
        }
        let mut dec = opts.read_info(bytes).map_err(derr)?;
        let global = dec.global_palette().map(<[u8]>::to_vec);
        let mut out = Vec::with_capacity(bytes.len());
        {
            let mut enc = gif::Encoder::new(
                &mut out,
                dec.width(),
                dec.height(),
                global.as_deref().unwrap_or_default(),
            )
            .map_err(eerr)?;
            match header.loop_count {
                Some(0) => enc.set_repeat(gif::Repeat::Infinite).map_err(eerr)?,
                Some(n) => enc.set_repeat(gif::Repeat::Finite(n)).map_err(eerr)?,
                None => {}
            }
            let mut written = 0;
            while let Some(frame) = dec.read_next_frame().map_err(derr)? {
                if frame.palette.is_none() && global.is_none() {
                    return Err(ImageError::corrupt(F, "frame without a colour table"));
                }
                let mut copy = frame.clone();
                // The decoder hands out rows in display order.
                copy.interlaced = false;
                enc.write_frame(&copy).map_err(eerr)?;
                written += 1;
            }
            if written == 0 {
                return Err(ImageError::corrupt(F, "no image in file"));
            }
        }
        Ok(out)
    })
}
