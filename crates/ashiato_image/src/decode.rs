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
/// smallest IDCT scale that is still at least that large. Other formats decode at full size.
pub(crate) fn still(
    bytes: &[u8],
    header: &Header,
    target: Option<(u32, u32)>,
    limits: &Limits,
) -> Result<Raster, ImageError> {
    let raster = guarded(header.format, || match header.format {
        Format::Jpeg => jpeg(bytes, header, target, limits),
        Format::Png => png(bytes, limits),
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
    let n = w as usize * h as usize;
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
    if raster.data.len() != n * usize::from(raster.ch) {
        return Err(ImageError::corrupt(Format::Jpeg, "decoded size mismatch"));
    }
    Ok(raster)
}

fn png(bytes: &[u8], limits: &Limits) -> Result<Raster, ImageError> {
    const F: Format = Format::Png;
    let err = |e: image::ImageError| crate::error::from_image(F, &e);
    let dec =
        image::codecs::png::PngDecoder::with_limits(Cursor::new(bytes), limits.image_limits())
            .map_err(err)?;
    let img = image::DynamicImage::from_decoder(dec).map_err(err)?;
    use image::ColorType as C;
    let (w, h) = (img.width(), img.height());
    let raster = match img.color() {
        C::L8 | C::L16 => Raster::new(w, h, 1, img.into_luma8().into_raw()),
        C::Rgb8 | C::Rgb16 | C::Rgb32F => Raster::new(w, h, 3, img.into_rgb8().into_raw()),
        _ => Raster::new(w, h, 4, img.into_rgba8().into_raw()).drop_opaque_alpha(),
    };
    Ok(raster)
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
