//! Encoders. None of them writes metadata: JPEG gets a JFIF APP0 and nothing else (baseline
//! SOF0, 4:2:0, optimised Huffman tables), PNG only IHDR/PLTE/tRNS/IDAT/IEND, GIF only the
//! NETSCAPE2.0 loop extension and graphic control extensions.

use std::collections::HashMap;

use crate::raster::Raster;
use crate::{Format, ImageError};

/// Baseline JPEG of a grey or RGB raster (RGBA is composited onto white first).
pub(crate) fn jpeg(r: &Raster, quality: u8) -> Result<Vec<u8>, ImageError> {
    const F: Format = Format::Jpeg;
    let (w, h) = match (u16::try_from(r.w), u16::try_from(r.h)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => return Err(ImageError::InvalidParameter(format!("JPEG size {}×{}", r.w, r.h))),
    };
    let flat;
    let (data, color) = match r.ch {
        1 => (&r.data, jpeg_encoder::ColorType::Luma),
        3 => (&r.data, jpeg_encoder::ColorType::Rgb),
        _ => {
            flat = r.to_rgb_on_white();
            (&flat.data, jpeg_encoder::ColorType::Rgb)
        }
    };
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.set_optimized_huffman_tables(true);
    enc.encode(data, w, h, color).map_err(|e| ImageError::encode(F, e))?;
    Ok(out)
}

fn png_writer(
    out: &mut Vec<u8>,
    w: u32,
    h: u32,
    color: png::ColorType,
) -> png::Encoder<'static, &mut Vec<u8>> {
    let mut enc = png::Encoder::new(out, w, h);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::High);
    enc
}

/// Truecolour (or grey) PNG, alpha kept when the raster has it.
pub(crate) fn png_true(r: &Raster) -> Result<Vec<u8>, ImageError> {
    let e = |e: png::EncodingError| ImageError::encode(Format::Png, e);
    let color = match r.ch {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let mut out = Vec::new();
    let mut writer = png_writer(&mut out, r.w, r.h, color).write_header().map_err(e)?;
    writer.write_image_data(&r.data).map_err(e)?;
    writer.finish().map_err(e)?;
    Ok(out)
}

/// Palette PNG (PNG-8) of a quantised image; the transparent entry, if any, is index 0.
pub(crate) fn png_indexed(q: &Quantized) -> Result<Vec<u8>, ImageError> {
    let e = |e: png::EncodingError| ImageError::encode(Format::Png, e);
    let mut out = Vec::new();
    let mut enc = png_writer(&mut out, q.w, q.h, png::ColorType::Indexed);
    enc.set_palette(q.palette.clone());
    if q.transparent.is_some() {
        enc.set_trns(vec![0u8]);
    }
    let mut writer = enc.write_header().map_err(e)?;
    writer.write_image_data(&q.indices).map_err(e)?;
    writer.finish().map_err(e)?;
    Ok(out)
}

/// A palette image: RGB palette triplets and one index per pixel.
#[derive(Debug, Clone)]
pub(crate) struct Quantized {
    pub w: u32,
    pub h: u32,
    pub palette: Vec<u8>,
    pub indices: Vec<u8>,
    /// Index 0 is transparent when set.
    pub transparent: Option<u8>,
}

/// NeuQuant sampling factor: 1 is slowest/best, 30 fastest. 10 is the usual compromise; small
/// images are sampled fully (NeuQuant learns from `pixels / factor` samples).
fn neuquant_sample(pixels: usize) -> i32 {
    if pixels < 16_384 { 1 } else { 10 }
}

/// Below this many colours the palette is a grey ramp with ordered dithering: such handsets
/// have monochrome or grey screens (D501i 2 colours, N502i 4 greys), and NeuQuant is not tuned
/// for tiny palettes.
const GREY_BELOW: u16 = 16;

/// 4×4 Bayer matrix, thresholds 0–15.
const BAYER: [[u8; 4]; 4] = [[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]];

fn grey_dither(r: &Raster, colors: u16, transparent: bool) -> Quantized {
    let first = u16::from(transparent);
    let levels = u32::from((colors - first).max(2));
    let mut palette = vec![0u8; 3 * usize::from(first)];
    for i in 0..levels {
        let g = (i * 255 / (levels - 1)) as u8;
        palette.extend([g, g, g]);
    }
    let rgba = r.to_rgba();
    let w = r.w as usize;
    let indices = rgba
        .data
        .chunks_exact(4)
        .enumerate()
        .map(|(i, p)| {
            if transparent && p[3] < 128 {
                return 0;
            }
            let y = (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000;
            // floor(v + (t + ½)/16) with v = y·(levels − 1)/255, in units of 1/(255·16).
            let t = u32::from(BAYER[(i / w) % 4][i % w % 4]);
            let level = ((y * (levels - 1) * 16 + t * 255 + 127) / (255 * 16)).min(levels - 1);
            (level + u32::from(first)) as u8
        })
        .collect();
    Quantized { w: r.w, h: r.h, palette, indices, transparent: transparent.then_some(0) }
}

/// Reduces a raster to at most `colors` (2–256) palette entries. Pixels with alpha < 128
/// become transparent (index 0, taking one entry). Below 16 colours: a dithered grey ramp.
/// Otherwise an image that already has few enough distinct colours keeps them exactly, and
/// NeuQuant picks the palette for the rest.
pub(crate) fn quantize(r: &Raster, colors: u16) -> Quantized {
    let colors = usize::from(colors.clamp(2, 256));
    let rgba = if r.ch == 4 { None } else { Some(r.to_rgba()) };
    let px = rgba.as_ref().map_or(&r.data, |x| &x.data);
    let transparent = px.chunks_exact(4).any(|p| p[3] < 128);
    if colors < usize::from(GREY_BELOW) {
        return grey_dither(r, colors as u16, transparent);
    }
    let first = usize::from(transparent);
    let room = colors - first;

    // Exact palette when the opaque pixels use at most `room` colours.
    let mut exact: HashMap<[u8; 3], u8> = HashMap::new();
    let mut fits = true;
    for p in px.chunks_exact(4).filter(|p| p[3] >= 128) {
        let key = [p[0], p[1], p[2]];
        if !exact.contains_key(&key) {
            if exact.len() == room {
                fits = false;
                break;
            }
            let idx = (first + exact.len()) as u8;
            exact.insert(key, idx);
        }
    }
    let mut palette = vec![0u8; 3 * first];
    let indices: Vec<u8> =
        if fits {
            let mut entries: Vec<(&[u8; 3], &u8)> = exact.iter().collect();
            entries.sort_by_key(|e| *e.1);
            palette.extend(entries.iter().flat_map(|e| *e.0));
            px.chunks_exact(4)
                .map(|p| {
                    if p[3] < 128 {
                        0
                    } else {
                        exact.get(&[p[0], p[1], p[2]]).copied().unwrap_or(0)
                    }
                })
                .collect()
        } else {
            let opaque: Vec<u8> = px
                .chunks_exact(4)
                .filter(|p| p[3] >= 128)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            let nq = color_quant::NeuQuant::new(neuquant_sample(opaque.len() / 4), room, &opaque);
            palette.extend(nq.color_map_rgb());
            let mut cache: HashMap<[u8; 3], u8> = HashMap::new();
            px.chunks_exact(4)
                .map(|p| {
                    if p[3] < 128 {
                        return 0;
                    }
                    let key = [p[0], p[1], p[2]];
                    *cache.entry(key).or_insert_with(|| {
                        (first + nq.index_of(&[p[0], p[1], p[2], 255])).min(255) as u8
                    })
                })
                .collect()
        };
    if palette.is_empty() {
        palette.extend([0, 0, 0]);
    }
    Quantized { w: r.w, h: r.h, palette, indices, transparent: transparent.then_some(0) }
}

fn gif_frame(q: &Quantized, left: u16, top: u16) -> Result<gif::Frame<'static>, ImageError> {
    let (w, h) = match (u16::try_from(q.w), u16::try_from(q.h)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => return Err(ImageError::InvalidParameter(format!("GIF size {}×{}", q.w, q.h))),
    };
    Ok(gif::Frame {
        width: w,
        height: h,
        left,
        top,
        palette: Some(q.palette.clone()),
        transparent: q.transparent,
        buffer: std::borrow::Cow::Owned(q.indices.clone()),
        ..gif::Frame::default()
    })
}

/// A still GIF of a quantised image.
pub(crate) fn gif_still(q: &Quantized) -> Result<Vec<u8>, ImageError> {
    let e = |e: gif::EncodingError| ImageError::encode(Format::Gif, e);
    let frame = gif_frame(q, 0, 0)?;
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, frame.width, frame.height, &[]).map_err(e)?;
        enc.write_frame(&frame).map_err(e)?;
    }
    Ok(out)
}

/// Writes an animation frame by frame. Frames must all have the same size.
///
/// If the first frame is fully opaque, later frames are written as the rectangle that changed
/// since the previous frame, disposal "keep" (much smaller); pixels that later turn
/// transparent then keep the previous frame's colour. If the first frame has transparency,
/// every frame is written whole with disposal "restore to background".
pub(crate) struct GifAnimation {
    out: Vec<u8>,
    enc: Option<gif::Encoder<Vec<u8>>>,
    colors: u16,
    prev: Option<Raster>,
    opaque_mode: bool,
    frames: u32,
}

impl GifAnimation {
    pub fn new(colors: u16) -> Self {
        Self { out: Vec::new(), enc: None, colors, prev: None, opaque_mode: true, frames: 0 }
    }

    fn err(e: gif::EncodingError) -> ImageError {
        ImageError::encode(Format::Gif, e)
    }

    /// Adds one frame (any channel count) shown for `delay_cs` centiseconds.
    pub fn push(
        &mut self,
        frame: &Raster,
        delay_cs: u16,
        repeat: Option<u16>,
    ) -> Result<(), ImageError> {
        if self.enc.is_none() {
            let (w, h) = match (u16::try_from(frame.w), u16::try_from(frame.h)) {
                (Ok(w), Ok(h)) => (w, h),
                _ => return Err(ImageError::InvalidParameter("GIF size".into())),
            };
            let mut enc =
                gif::Encoder::new(std::mem::take(&mut self.out), w, h, &[]).map_err(Self::err)?;
            match repeat {
                Some(0) => enc.set_repeat(gif::Repeat::Infinite).map_err(Self::err)?,
                Some(n) => enc.set_repeat(gif::Repeat::Finite(n)).map_err(Self::err)?,
                None => {}
            }
            self.opaque_mode = !frame.has_transparency();
            self.enc = Some(enc);
        }
        let Some(enc) = self.enc.as_mut() else {
            return Err(ImageError::encode(Format::Gif, "encoder not started"));
        };
        self.frames += 1;
        if !self.opaque_mode {
            let q = quantize(&frame.to_rgba(), self.colors);
            let mut f = gif_frame(&q, 0, 0)?;
            f.delay = delay_cs;
            f.dispose = gif::DisposalMethod::Background;
            return enc.write_frame(&f).map_err(Self::err);
        }
        // Opaque mode: the displayed canvas as RGB, transparent pixels keeping what was shown.
        let rgba = frame.to_rgba();
        let canvas: Vec<u8> = match &self.prev {
            Some(prev) => rgba
                .data
                .chunks_exact(4)
                .zip(prev.data.chunks_exact(3))
                .flat_map(|(p, q)| if p[3] < 128 { [q[0], q[1], q[2]] } else { [p[0], p[1], p[2]] })
                .collect(),
            None => frame.to_rgb_on_white().data,
        };
        let canvas = Raster::new(frame.w, frame.h, 3, canvas);
        let (x0, y0, x1, y1) = match &self.prev {
            Some(prev) => changed_rect(prev, &canvas).unwrap_or((0, 0, 1, 1)),
            None => (0, 0, canvas.w, canvas.h),
        };
        let crop = crop(&canvas, x0, y0, x1, y1);
        let q = quantize(&crop, self.colors);
        let mut f = gif_frame(&q, x0 as u16, y0 as u16)?;
        f.delay = delay_cs;
        f.dispose = gif::DisposalMethod::Keep;
        enc.write_frame(&f).map_err(Self::err)?;
        self.prev = Some(canvas);
        Ok(())
    }

    /// Bytes written so far (the encoder buffers nothing between frames).
    pub fn len(&self) -> usize {
        self.enc.as_ref().map_or(self.out.len(), |e| e.get_ref().len())
    }

    /// Frames written.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// The finished file.
    pub fn finish(self) -> Result<Vec<u8>, ImageError> {
        match self.enc {
            Some(enc) => enc.into_inner().map_err(Self::err),
            None => Err(ImageError::encode(Format::Gif, "no frames")),
        }
    }
}

/// Bounding box `[x0, x1) × [y0, y1)` of pixels that differ between two same-size rasters.
fn changed_rect(a: &Raster, b: &Raster) -> Option<(u32, u32, u32, u32)> {
    let ch = usize::from(a.ch);
    let w = a.w as usize;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (y, (ra, rb)) in a.data.chunks_exact(w * ch).zip(b.data.chunks_exact(w * ch)).enumerate() {
        if ra == rb {
            continue;
        }
        for (x, (pa, pb)) in ra.chunks_exact(ch).zip(rb.chunks_exact(ch)).enumerate() {
            if pa != pb {
                x0 = x0.min(x);
                x1 = x1.max(x + 1);
            }
        }
        y0 = y0.min(y);
        y1 = y + 1;
    }
    (x1 > 0).then_some((x0 as u32, y0 as u32, x1 as u32, y1 as u32))
}

fn crop(r: &Raster, x0: u32, y0: u32, x1: u32, y1: u32) -> Raster {
    let ch = usize::from(r.ch);
    let mut data = Vec::with_capacity((x1 - x0) as usize * (y1 - y0) as usize * ch);
    for y in y0..y1 {
        let start = (y as usize * r.w as usize + x0 as usize) * ch;
        data.extend_from_slice(&r.data[start..start + (x1 - x0) as usize * ch]);
    }
    Raster::new(x1 - x0, y1 - y0, r.ch, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_palette_and_transparency() {
        let px = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 0, 0], [255, 0, 0, 255]].concat();
        let q = quantize(&Raster::new(2, 2, 4, px), 256);
        assert_eq!(q.transparent, Some(0));
        assert_eq!(q.indices, vec![1, 2, 0, 1]);
        assert_eq!(q.palette, vec![0, 0, 0, 255, 0, 0, 0, 255, 0]);
    }

    #[test]
    fn neuquant_small_palettes() {
        let px: Vec<u8> = (0..64 * 64).flat_map(|i| [(i % 256) as u8, (i / 64) as u8, 7]).collect();
        let r = Raster::new(64, 64, 3, px);
        for colors in [2, 4, 16, 256] {
            let q = quantize(&r, colors);
            assert!(q.palette.len() / 3 <= usize::from(colors), "{colors}");
            assert!(q.indices.iter().all(|&i| usize::from(i) < q.palette.len() / 3));
        }
    }

    #[test]
    fn tiny_palettes_are_dithered_greys() {
        // A horizontal ramp in 2 colours: black on the left, white on the right, mixed between.
        let px: Vec<u8> = (0..16 * 64).map(|i| ((i % 64) * 4) as u8).collect();
        let q = quantize(&Raster::new(64, 16, 1, px), 2);
        assert_eq!(q.palette, vec![0, 0, 0, 255, 255, 255]);
        let row = &q.indices[..64];
        assert_eq!((row[0], row[63]), (0, 1));
        let ones = row[24..40].iter().filter(|&&i| i == 1).count();
        assert!((4..=12).contains(&ones), "dithered middle: {ones}/16");
        let q4 = quantize(&Raster::new(2, 1, 4, vec![0, 0, 0, 0, 255, 255, 255, 255]), 4);
        assert_eq!(
            (q4.transparent, q4.palette.len() / 3, q4.indices.clone()),
            (Some(0), 4, vec![0, 3])
        );
    }

    #[test]
    fn changed_rect_finds_the_box() {
        let a = Raster::new(4, 3, 3, vec![0; 36]);
        let mut b = a.clone();
        b.data[(4 + 2) * 3] = 9; // pixel (2, 1)
        assert_eq!(changed_rect(&a, &b), Some((2, 1, 3, 2)));
        assert_eq!(changed_rect(&a, &a), None);
    }
}
