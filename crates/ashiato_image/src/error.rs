//! The one error type of this crate.
//!
//! Policy: every failure is an [`ImageError`] with a one-line, user-safe message; no function in
//! this crate panics on any input bytes. Limit refusals ([`ImageError::TooManyPixels`],
//! [`ImageError::TooLarge`], [`ImageError::TooManyFrames`], [`ImageError::TooMuchMemory`]) are
//! decided from the header alone, before any pixel buffer is allocated. Codec messages are kept
//! as text (the codec error types are not part of this crate's API).

use crate::Format;

/// Why an image was refused or could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not JPEG, PNG or GIF (by magic bytes).
    #[error("unsupported image format (only JPEG, PNG and GIF are accepted)")]
    UnsupportedFormat,
    /// The input is larger than [`crate::Limits::max_bytes`].
    #[error("image too large: {bytes} bytes (limit {limit})")]
    TooLarge {
        /// Input size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The header declares more pixels than [`crate::Limits::max_pixels`].
    #[error("image has too many pixels: {width}×{height} (limit {limit} pixels)")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit.
        limit: u64,
    },
    /// An animation declares more frames, or frames × canvas area, than the limits allow.
    #[error("animation too long: {frames} frames of {width}×{height}")]
    TooManyFrames {
        /// Frames counted in the file.
        frames: u32,
        /// Canvas width.
        width: u32,
        /// Canvas height.
        height: u32,
    },
    /// Decoding would need more memory than [`crate::Limits::max_alloc`] (e.g. a large
    /// progressive JPEG, whose coefficients are held for the whole image).
    #[error("image needs {needed} bytes of memory to decode (limit {limit})")]
    TooMuchMemory {
        /// Estimated bytes.
        needed: u64,
        /// The limit.
        limit: u64,
    },
    /// A decoder refused to allocate past [`crate::Limits::max_alloc`] or its size limits
    /// (a second line of defence behind the header checks).
    #[error("{format} decoder limit reached: {detail}")]
    DecoderLimit {
        /// Detected format.
        format: Format,
        /// What the decoder said.
        detail: String,
    },
    /// Width or height is zero.
    #[error("image has an empty dimension: {width}×{height}")]
    EmptyImage {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The file ends before its header or image data is complete.
    #[error("{0} file is truncated")]
    Truncated(Format),
    /// The file is malformed.
    #[error("{format} file is corrupt: {detail}")]
    Corrupt {
        /// Detected format.
        format: Format,
        /// What the parser or codec said.
        detail: String,
    },
    /// A valid file using a feature this crate does not decode (arithmetic coding, 12-bit
    /// JPEG, hierarchical JPEG, an unknown colour transform…).
    #[error("unsupported {format} feature: {detail}")]
    UnsupportedFeature {
        /// Detected format.
        format: Format,
        /// Which feature.
        detail: String,
    },
    /// A requested parameter is out of range (width 0, a byte cap below the minimum…).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// The byte cap cannot be met even at the lowest quality and smallest size tried.
    #[error("cannot fit the image in {max_bytes} bytes (smallest attempt {smallest} bytes)")]
    ByteCapUnreachable {
        /// The cap.
        max_bytes: usize,
        /// The smallest encoding produced.
        smallest: usize,
    },
    /// An encoder failed (should not happen for valid dimensions).
    #[error("encoding {format} failed: {detail}")]
    Encode {
        /// Output format.
        format: Format,
        /// What the encoder said.
        detail: String,
    },
}

impl ImageError {
    pub(crate) fn corrupt(format: Format, detail: impl Into<String>) -> Self {
        Self::Corrupt { format, detail: detail.into() }
    }

    pub(crate) fn unsupported(format: Format, detail: impl Into<String>) -> Self {
        Self::UnsupportedFeature { format, detail: detail.into() }
    }

    pub(crate) fn encode(format: Format, detail: impl std::fmt::Display) -> Self {
        Self::Encode { format, detail: detail.to_string() }
    }

    /// Whether this is a limit refusal (too large, too many pixels/frames, too much memory):
    /// the caller answers "413"-style rather than "415"/"422".
    #[must_use]
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::TooLarge { .. }
                | Self::TooManyPixels { .. }
                | Self::TooManyFrames { .. }
                | Self::TooMuchMemory { .. }
                | Self::DecoderLimit { .. }
        )
    }
}

/// Maps an `image` crate error from the PNG or GIF decoder.
pub(crate) fn from_image(format: Format, e: &image::ImageError) -> ImageError {
    use image::ImageError as E;
    match e {
        E::Limits(l) => ImageError::DecoderLimit { format, detail: l.to_string() },
        E::Unsupported(u) => ImageError::unsupported(format, u.to_string()),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated(format)
        }
        other => {
            let text = other.to_string();
            let lower = text.to_ascii_lowercase();
            if lower.contains("end of file") || lower.contains("eof") || lower.contains("truncated")
            {
                ImageError::Truncated(format)
            } else {
                ImageError::corrupt(format, text)
            }
        }
    }
}
