//! Ingest limits (security.md §4, S-22; performance.md P9).

/// Limits applied before and during decoding. All checks that can be made from the header are
/// made before any pixel buffer exists; `max_alloc` is also handed to the decoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (default 10 MiB; ASVS 12.1.1).
    pub max_bytes: usize,
    /// Largest accepted width × height of the image (or GIF canvas, or any GIF frame)
    /// (default 24,000,000 = 24 MP, e.g. 6000×4000).
    pub max_pixels: u64,
    /// Most frames accepted in an animated GIF (default 1,000).
    pub max_frames: u32,
    /// Largest frames × canvas area of an animated GIF: every frame is composited at canvas size,
    /// so this bounds decode work (default 100,000,000).
    pub max_animation_pixels: u64,
    /// Most memory a decode may need, estimated from the header (default 256 MiB). Also passed
    /// to the `image` decoders as `max_alloc` and to the JPEG decoder as its buffer limit.
    pub max_alloc: u64,
    /// Longest side of a stored master (default 2048 px). A larger JPEG is decoded at the IDCT
    /// scale (1/2, 1/4, 1/8) that leaves its long side between half this and this (a 12 MP
    /// 4000×3000 photo → 2000×1500, 5 MP 2592×1944 → 1296×972); a larger non-interlaced PNG is
    /// box-reduced by the largest integer factor keeping it ≥ half this; anything still larger
    /// is resized to this. Animated GIF masters keep their size (bounded by the limits above).
    pub master_max_side: u32,
}

impl Limits {
    /// 10 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
    /// 24 MP.
    pub const DEFAULT_MAX_PIXELS: u64 = 24_000_000;

    /// The `image` crate limits derived from these.
    pub(crate) fn image_limits(&self) -> image::Limits {
        let mut l = image::Limits::default();
        // A side can never exceed the pixel cap (a 1-pixel-high strip at most).
        let side = u32::try_from(self.max_pixels).unwrap_or(u32::MAX);
        l.max_image_width = Some(side);
        l.max_image_height = Some(side);
        l.max_alloc = Some(self.max_alloc);
        l
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_pixels: Self::DEFAULT_MAX_PIXELS,
            max_frames: 1_000,
            max_animation_pixels: 100_000_000,
            max_alloc: 256 * 1024 * 1024,
            master_max_side: 2048,
        }
    }
}
