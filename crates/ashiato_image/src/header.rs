//! Header sniffing: format from magic bytes, dimensions and decode cost from the header, with
//! no decompression and no allocation proportional to the pixel count.
//!
//! - JPEG: markers are walked up to the frame header (SOFn); the first EXIF APP1 gives the
//!   orientation. Arithmetic-coded, hierarchical and 12-bit lossy JPEGs are refused here.
//! - PNG: the IHDR chunk (CRC checked), then chunk headers up to the first IDAT for `eXIf`
//!   (orientation), `tRNS` and `acTL` (APNG: only the default image is used).
//! - GIF: the logical screen descriptor, then every block is skipped by its sub-block lengths
//!   (nothing is LZW-decoded) to count frames and check each frame's size.

use crate::{ImageError, Limits, exif};

/// An image format this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG (JFIF/EXIF).
    Jpeg,
    /// PNG.
    Png,
    /// GIF (87a/89a, animated or still).
    Gif,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Gif => "GIF",
        })
    }
}

impl Format {
    /// The media type for `Content-Type`.
    #[must_use]
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
        }
    }

    /// The usual file extension, without the dot.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
        }
    }

    /// The format named by `jpeg`/`jpg`, `png` or `gif` (ASCII case-insensitive).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "gif" => Some(Self::Gif),
            _ => None,
        }
    }

    /// The format of `bytes` by magic number alone.
    #[must_use]
    pub fn from_magic(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(PNG_SIGNATURE) {
            Some(Self::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else {
            None
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// What the header says, read without decoding pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The format.
    pub format: Format,
    /// Stored width (before EXIF orientation).
    pub width: u32,
    /// Stored height (before EXIF orientation).
    pub height: u32,
    /// EXIF orientation 1–8 (1 when absent or invalid). JPEG APP1 and PNG `eXIf` only.
    pub orientation: u8,
    /// Number of frames: image descriptors in a GIF, 1 otherwise (APNG counts as 1).
    pub frames: u32,
    /// GIF: the NETSCAPE2.0 loop count (0 = forever); `None` when absent (play once).
    pub loop_count: Option<u16>,
    /// JPEG progressive, or PNG Adam7 interlaced.
    pub progressive: bool,
    /// Bits per sample (8 for GIF).
    pub bit_depth: u8,
    /// JPEG: number of components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK). PNG: channels. GIF: 4.
    pub components: u8,
    /// Whether the image may have transparency: PNG colour type with alpha or a `tRNS` chunk;
    /// GIF with a transparent colour index in any frame.
    pub alpha: bool,
    /// Estimated bytes needed to decode at full size (8-bit pixel buffers, and coefficients for
    /// a progressive JPEG). Compared with [`Limits::max_alloc`]. Shrink-on-load (baseline
    /// JPEG, non-interlaced PNG) needs far less, but the check is made before the target size
    /// is known.
    pub decode_bytes: u64,
    /// JPEG only: offset of the first SOS marker (the entropy-coded data starts after it).
    pub(crate) scan_offset: usize,
}

impl Header {
    /// Width × height.
    #[must_use]
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Size after applying the EXIF orientation (orientations 5–8 swap the axes).
    #[must_use]
    pub fn oriented_size(&self) -> (u32, u32) {
        if self.orientation >= 5 { (self.height, self.width) } else { (self.width, self.height) }
    }

    /// Whether this is an animation (a GIF with more than one frame).
    #[must_use]
    pub fn is_animated(&self) -> bool {
        self.frames > 1
    }

    /// Checks the header against `limits` (pixels, frames, memory).
    ///
    /// # Errors
    /// [`ImageError::TooManyPixels`], [`ImageError::TooManyFrames`],
    /// [`ImageError::TooMuchMemory`], [`ImageError::EmptyImage`].
    pub fn check(&self, limits: &Limits) -> Result<(), ImageError> {
        if self.width == 0 || self.height == 0 {
            return Err(ImageError::EmptyImage { width: self.width, height: self.height });
        }
        if self.pixels() > limits.max_pixels {
            return Err(ImageError::TooManyPixels {
                width: self.width,
                height: self.height,
                limit: limits.max_pixels,
            });
        }
        if self.frames > limits.max_frames
            || u64::from(self.frames).saturating_mul(self.pixels()) > limits.max_animation_pixels
        {
            return Err(ImageError::TooManyFrames {
                frames: self.frames,
                width: self.width,
                height: self.height,
            });
        }
        if self.decode_bytes > limits.max_alloc {
            return Err(ImageError::TooMuchMemory {
                needed: self.decode_bytes,
                limit: limits.max_alloc,
            });
        }
        Ok(())
    }
}

/// Reads the header of `bytes` without decoding any pixels.
///
/// For a GIF with frames larger than `max_pixels` this already fails (each frame is checked as
/// it is skipped); everything else is checked by [`Header::check`].
///
/// # Errors
/// [`ImageError::UnsupportedFormat`] for unknown magic bytes; [`ImageError::Truncated`] or
/// [`ImageError::Corrupt`] for a damaged header; [`ImageError::UnsupportedFeature`] for JPEG
/// codings this crate does not decode.
pub fn sniff(bytes: &[u8]) -> Result<Header, ImageError> {
    sniff_with(bytes, &Limits::default())
}

/// [`sniff`], checking GIF frame sizes against `limits.max_pixels` while walking.
pub(crate) fn sniff_with(bytes: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    match Format::from_magic(bytes) {
        Some(Format::Jpeg) => jpeg(bytes),
        Some(Format::Png) => png(bytes),
        Some(Format::Gif) => gif(bytes, limits),
        None => Err(ImageError::UnsupportedFormat),
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn jpeg(b: &[u8]) -> Result<Header, ImageError> {
    const F: Format = Format::Jpeg;
    let truncated = || ImageError::Truncated(F);
    let mut pos = 2;
    let mut orientation = 1;
    let mut seen_exif = false;
    let mut frame: Option<(u8, u8, u32, u32, u8, u64)> = None;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if *b.get(pos).ok_or_else(truncated)? != 0xFF {
            return Err(ImageError::corrupt(F, format!("expected a marker at byte {pos}")));
        }
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *b.get(pos).ok_or_else(truncated)?;
        pos += 1;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            0xD9 => return Err(ImageError::corrupt(F, "no image before end marker")),
            _ => {}
        }
        let len = usize::from(be16(b, pos).ok_or_else(truncated)?);
        if len < 2 {
            return Err(ImageError::corrupt(F, "segment length below 2"));
        }
        let seg = b.get(pos + 2..pos + len).ok_or_else(truncated)?;
        match marker {
            0xE1 if !seen_exif && seg.starts_with(b"Exif\0\0") => {
                seen_exif = true;
                orientation = exif::orientation(&seg[6..]).unwrap_or(1);
            }
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if frame.is_some() {
                    return Err(ImageError::unsupported(F, "more than one frame (hierarchical)"));
                }
                frame = Some(parse_sof(marker, seg)?);
            }
            0xDA => {
                let Some((marker, precision, width, height, comps, coeff)) = frame else {
                    return Err(ImageError::corrupt(F, "scan before frame header"));
                };
                let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                // Output buffer at full size, plus coefficient storage for progressive scans.
                let out = u64::from(width) * u64::from(height) * u64::from(comps.max(3));
                let bytes = if progressive { out + coeff } else { out };
                return Ok(Header {
                    format: F,
                    width,
                    height,
                    orientation,
                    frames: 1,
                    loop_count: None,
                    progressive,
                    bit_depth: precision,
                    components: comps,
                    alpha: false,
                    decode_bytes: bytes,
                    scan_offset: pos - 1,
                });
            }
            _ => {}
        }
        pos += len;
    }
}

/// Parses an SOFn segment body: (marker, precision, width, height, components, coefficient
/// bytes for a full-image coefficient buffer).
fn parse_sof(marker: u8, seg: &[u8]) -> Result<(u8, u8, u32, u32, u8, u64), ImageError> {
    const F: Format = Format::Jpeg;
    let short = || ImageError::corrupt(F, "short frame header");
    let precision = *seg.first().ok_or_else(short)?;
    let height = u32::from(be16(seg, 1).ok_or_else(short)?);
    let width = u32::from(be16(seg, 3).ok_or_else(short)?);
    let comps = *seg.get(5).ok_or_else(short)?;
    if marker >= 0xC9 && marker != 0xCC {
        return Err(ImageError::unsupported(F, "arithmetic coding"));
    }
    if matches!(marker, 0xC5..=0xC7 | 0xCD..=0xCF) {
        return Err(ImageError::unsupported(F, "hierarchical coding"));
    }
    let lossless = marker == 0xC3;
    if !lossless && precision != 8 {
        return Err(ImageError::unsupported(F, format!("{precision}-bit samples")));
    }
    if lossless && !(2..=16).contains(&precision) {
        return Err(ImageError::corrupt(F, format!("{precision}-bit samples")));
    }
    if !matches!(comps, 1 | 3 | 4) {
        return Err(ImageError::unsupported(F, format!("{comps} colour components")));
    }
    if height == 0 {
        return Err(ImageError::unsupported(F, "height defined by a DNL marker"));
    }
    let mut factors = Vec::with_capacity(usize::from(comps));
    for i in 0..usize::from(comps) {
        let s = *seg.get(6 + 3 * i + 1).ok_or_else(short)?;
        let (h, v) = (u64::from(s >> 4), u64::from(s & 15));
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(ImageError::corrupt(F, "invalid sampling factor"));
        }
        factors.push((h, v));
    }
    let hmax = factors.iter().map(|f| f.0).max().unwrap_or(1);
    let vmax = factors.iter().map(|f| f.1).max().unwrap_or(1);
    let mcux = u64::from(width).div_ceil(8 * hmax);
    let mcuy = u64::from(height).div_ceil(8 * vmax);
    let blocks: u64 = factors.iter().map(|(h, v)| mcux * h * mcuy * v).sum();
    Ok((marker, precision, width, height, comps, blocks * 64 * 2))
}

fn png(b: &[u8]) -> Result<Header, ImageError> {
    const F: Format = Format::Png;
    let truncated = || ImageError::Truncated(F);
    let len = be32(b, 8).ok_or_else(truncated)?;
    if b.get(12..16) != Some(b"IHDR") {
        return if b.len() < 16 {
            Err(truncated())
        } else {
            Err(ImageError::corrupt(F, "first chunk is not IHDR"))
        };
    }
    if len != 13 {
        return Err(ImageError::corrupt(F, "IHDR length is not 13"));
    }
    let ihdr = b.get(12..29).ok_or_else(truncated)?;
    let crc = be32(b, 29).ok_or_else(truncated)?;
    if crate::crc::crc32(ihdr) != crc {
        return Err(ImageError::corrupt(F, "IHDR CRC mismatch"));
    }
    let width = be32(b, 16).ok_or_else(truncated)?;
    let height = be32(b, 20).ok_or_else(truncated)?;
    let depth = ihdr[12];
    let colour = ihdr[13];
    let interlace = ihdr[16];
    let channels: u8 = match (colour, depth) {
        (0, 1 | 2 | 4 | 8 | 16) => 1,
        (2, 8 | 16) => 3,
        (3, 1 | 2 | 4 | 8) => 1,
        (4, 8 | 16) => 2,
        (6, 8 | 16) => 4,
        _ => {
            return Err(ImageError::corrupt(
                F,
                format!("invalid colour type {colour} with bit depth {depth}"),
            ));
        }
    };
    if width > 0x7FFF_FFFF || height > 0x7FFF_FFFF {
        return Err(ImageError::corrupt(F, "dimension above 2^31-1"));
    }
    // Walk chunk headers (not their data) until the image data for eXIf/tRNS.
    let mut orientation = 1;
    let mut trns = false;
    let mut pos = 33;
    while let (Some(clen), Some(kind)) = (be32(b, pos), b.get(pos + 4..pos + 8)) {
        let clen = clen as usize;
        match kind {
            b"IDAT" => break,
            b"tRNS" => trns = true,
            b"eXIf" => {
                if let Some(data) = b.get(pos + 8..pos + 8 + clen) {
                    orientation = exif::orientation(data).unwrap_or(1);
                }
            }
            _ => {}
        }
        pos = pos.saturating_add(12).saturating_add(clen);
    }
    let alpha = matches!(colour, 4 | 6) || trns;
    // Full-size 8-bit output (16-bit is stripped per row): grey+alpha is expanded to RGBA.
    let per_pixel: u64 = match (colour, trns) {
        (0, false) => 1,
        (2 | 3, false) => 3,
        (0 | 4, _) => 6,
        _ => 4,
    };
    let bytes = u64::from(width) * u64::from(height) * per_pixel;
    Ok(Header {
        format: F,
        width,
        height,
        orientation,
        frames: 1,
        loop_count: None,
        progressive: interlace == 1,
        bit_depth: depth,
        components: channels,
        alpha,
        decode_bytes: bytes,
        scan_offset: 0,
    })
}

fn gif(b: &[u8], limits: &Limits) -> Result<Header, ImageError> {
    const F: Format = Format::Gif;
    let truncated = || ImageError::Truncated(F);
    let width = u32::from(le16(b, 6).ok_or_else(truncated)?);
    let height = u32::from(le16(b, 8).ok_or_else(truncated)?);
    let flags = *b.get(10).ok_or_else(truncated)?;
    let mut pos = 13;
    if flags & 0x80 != 0 {
        pos += 3 << ((flags & 7) + 1);
    }
    let mut frames = 0u32;
    let mut loop_count = None;
    let mut alpha = false;
    // Skips data sub-blocks starting at `p`; returns the position after the terminator.
    let skip_blocks = |mut p: usize| -> Option<usize> {
        loop {
            let n = usize::from(*b.get(p)?);
            p += 1;
            if n == 0 {
                return Some(p);
            }
            p += n;
        }
    };
    loop {
        let Some(&intro) = b.get(pos) else {
            // A missing trailer after complete frames is common and harmless.
            if frames == 0 {
                return Err(truncated());
            }
            break;
        };
        match intro {
            0x3B => break,
            0x21 => {
                let label = *b.get(pos + 1).ok_or_else(truncated)?;
                let first = pos + 2;
                if label == 0xF9 && b.get(first) == Some(&4) {
                    alpha |= b.get(first + 1).is_some_and(|p| p & 1 != 0);
                }
                if label == 0xFF
                    && b.get(first) == Some(&11)
                    && b.get(first + 1..first + 12) == Some(b"NETSCAPE2.0")
                    && b.get(first + 12) == Some(&3)
                    && b.get(first + 13) == Some(&1)
                {
                    loop_count = le16(b, first + 14);
                }
                pos = skip_blocks(first).ok_or_else(truncated)?;
            }
            0x2C => {
                let fw = u64::from(le16(b, pos + 5).ok_or_else(truncated)?);
                let fh = u64::from(le16(b, pos + 7).ok_or_else(truncated)?);
                if fw * fh > limits.max_pixels {
                    return Err(ImageError::TooManyPixels {
                        width: fw as u32,
                        height: fh as u32,
                        limit: limits.max_pixels,
                    });
                }
                let packed = *b.get(pos + 9).ok_or_else(truncated)?;
                pos += 10;
                if packed & 0x80 != 0 {
                    pos += 3 << ((packed & 7) + 1);
                }
                let min_code = *b.get(pos).ok_or_else(truncated)?;
                if !(1..=11).contains(&min_code) {
                    return Err(ImageError::corrupt(F, "invalid LZW code size"));
                }
                pos = skip_blocks(pos + 1).ok_or_else(truncated)?;
                frames += 1;
            }
            other => {
                return Err(ImageError::corrupt(F, format!("unknown block 0x{other:02X}")));
            }
        }
    }
    if frames == 0 {
        return Err(ImageError::corrupt(F, "no image in file"));
    }
    // Composited RGBA canvas, the previous canvas for disposal, and one output frame.
    let bytes = u64::from(width) * u64::from(height) * 4 * 3;
    Ok(Header {
        format: F,
        width,
        height,
        orientation: 1,
        frames,
        loop_count,
        progressive: false,
        bit_depth: 8,
        components: 4,
        alpha,
        decode_bytes: bytes,
        scan_offset: 0,
    })
}
