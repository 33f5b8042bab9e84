//! An 8-bit pixel buffer (grey, RGB or RGBA), EXIF orientation and SIMD resizing.

use fast_image_resize::{
    FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer,
    images::{Image, ImageRef},
};

/// Interleaved 8-bit pixels: 1 (grey), 3 (RGB) or 4 (RGBA) channels.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Raster {
    pub w: u32,
    pub h: u32,
    pub ch: u8,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Raster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Raster({}×{}×{})", self.w, self.h, self.ch)
    }
}

impl Raster {
    pub fn new(w: u32, h: u32, ch: u8, data: Vec<u8>) -> Self {
        debug_assert_eq!(data.len(), w as usize * h as usize * usize::from(ch));
        Self { w, h, ch, data }
    }

    /// Whether any pixel is not fully opaque (always false without an alpha channel).
    pub fn has_transparency(&self) -> bool {
        self.ch == 4 && self.data.chunks_exact(4).any(|p| p[3] != 255)
    }

    /// RGBA → RGB when fully opaque; otherwise unchanged.
    pub fn drop_opaque_alpha(self) -> Self {
        if self.ch == 4 && !self.has_transparency() { self.to_rgb_on_white() } else { self }
    }

    /// As RGB: grey expanded, alpha composited onto white (JPEG has no transparency).
    pub fn to_rgb_on_white(&self) -> Self {
        let data = match self.ch {
            1 => self.data.iter().flat_map(|&g| [g, g, g]).collect(),
            3 => self.data.clone(),
            _ => self
                .data
                .chunks_exact(4)
                .flat_map(|p| {
                    let a = u32::from(p[3]);
                    let blend = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
                    [blend(p[0]), blend(p[1]), blend(p[2])]
                })
                .collect(),
        };
        Self::new(self.w, self.h, 3, data)
    }

    /// As RGBA (grey and RGB get alpha 255).
    pub fn to_rgba(&self) -> Self {
        let data = match self.ch {
            1 => self.data.iter().flat_map(|&g| [g, g, g, 255]).collect(),
            3 => self.data.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
            _ => self.data.clone(),
        };
        Self::new(self.w, self.h, 4, data)
    }

    /// Applies EXIF orientation `o` (1–8): the result displays upright with no tag.
    pub fn oriented(self, o: u8) -> Self {
        if !(2..=8).contains(&o) {
            return self;
        }
        let (w, h, ch) = (self.w as usize, self.h as usize, usize::from(self.ch));
        let (nw, nh) = if o >= 5 { (h, w) } else { (w, h) };
        let mut out = vec![0u8; self.data.len()];
        for y in 0..nh {
            for x in 0..nw {
                // Source pixel shown at (x, y) for each EXIF orientation.
                let (sx, sy) = match o {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                let s = (sy * w + sx) * ch;
                let d = (y * nw + x) * ch;
                out[d..d + ch].copy_from_slice(&self.data[s..s + ch]);
            }
        }
        Self::new(nw as u32, nh as u32, self.ch, out)
    }

    /// Resized to exactly `w`×`h` (Lanczos3 via `fast_image_resize`, alpha-aware).
    pub fn resized(&self, w: u32, h: u32, resizer: &mut Resizer) -> Self {
        if (w, h) == (self.w, self.h) {
            return self.clone();
        }
        let pt = match self.ch {
            1 => PixelType::U8,
            3 => PixelType::U8x3,
            _ => PixelType::U8x4,
        };
        let opts = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
            .use_alpha(self.ch == 4);
        let mut dst = Image::new(w, h, pt);
        // Buffer sizes match by construction and u8 pixels need no alignment, so neither call
        // can fail; fall back to nearest-neighbour rather than panic if that ever changes.
        match ImageRef::new(self.w, self.h, &self.data, pt)
            .ok()
            .map(|src| resizer.resize(&src, &mut dst, &opts))
        {
            Some(Ok(())) => Self::new(w, h, self.ch, dst.into_vec()),
            _ => self.nearest(w, h),
        }
    }

    fn nearest(&self, w: u32, h: u32) -> Self {
        let ch = usize::from(self.ch);
        let mut data = Vec::with_capacity(w as usize * h as usize * ch);
        for y in 0..h {
            let sy = (u64::from(y) * u64::from(self.h) / u64::from(h)) as usize;
            for x in 0..w {
                let sx = (u64::from(x) * u64::from(self.w) / u64::from(w)) as usize;
                let s = (sy * self.w as usize + sx) * ch;
                data.extend_from_slice(&self.data[s..s + ch]);
            }
        }
        Self::new(w, h, self.ch, data)
    }
}

/// The size that fits `w`×`h` into `bw`×`bh` keeping the aspect ratio, never enlarging, at
/// least 1×1.
pub(crate) fn fit(w: u32, h: u32, bw: u32, bh: u32) -> (u32, u32) {
    if w <= bw && h <= bh {
        return (w.max(1), h.max(1));
    }
    let (w64, h64) = (u64::from(w.max(1)), u64::from(h.max(1)));
    let (bw64, bh64) = (u64::from(bw.max(1)), u64::from(bh.max(1)));
    // Compare w/h with bw/bh without floating point.
    if w64 * bh64 >= h64 * bw64 {
        let nh = (h64 * bw64 + w64 / 2) / w64;
        (bw.max(1), (nh as u32).max(1))
    } else {
        let nw = (w64 * bh64 + h64 / 2) / h64;
        ((nw as u32).max(1), bh.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 image whose pixels are their own indices 0..6.
    fn numbered() -> Raster {
        Raster::new(3, 2, 1, (0..6).collect())
    }

    #[test]
    fn orientations_match_the_exif_definitions() {
        // Stored rows: [0 1 2] / [3 4 5]. Expected display per EXIF 2.32 §4.6.4 "Orientation".
        let cases: [(u8, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [0, 1, 2, 3, 4, 5]),
            (2, (3, 2), [2, 1, 0, 5, 4, 3]),
            (3, (3, 2), [5, 4, 3, 2, 1, 0]),
            (4, (3, 2), [3, 4, 5, 0, 1, 2]),
            (5, (2, 3), [0, 3, 1, 4, 2, 5]),
            (6, (2, 3), [3, 0, 4, 1, 5, 2]),
            (7, (2, 3), [5, 2, 4, 1, 3, 0]),
            (8, (2, 3), [2, 5, 1, 4, 0, 3]),
        ];
        for (o, size, pixels) in cases {
            let r = numbered().oriented(o);
            assert_eq!((r.w, r.h), size, "orientation {o}");
            assert_eq!(r.data, pixels, "orientation {o}");
        }
    }

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 240, 320), (240, 180));
        assert_eq!(fit(3000, 4000, 240, 320), (240, 320));
        assert_eq!(fit(1000, 10, 240, 320), (240, 2));
        assert_eq!(fit(10, 100_000, 240, 320), (1, 320));
        assert_eq!(fit(100, 50, 240, 320), (100, 50));
    }

    #[test]
    fn resize_and_flatten() {
        let mut rz = Resizer::new();
        let r = Raster::new(8, 8, 4, [10, 20, 30, 0].repeat(64));
        let small = r.resized(2, 2, &mut rz);
        assert_eq!((small.w, small.h, small.data.len()), (2, 2, 16));
        assert!(small.has_transparency());
        assert_eq!(small.to_rgb_on_white().data, vec![255; 12]);
    }
}
