//! Image ingest and per-handset variants for ashiato. Pure: bytes in, bytes out; no files, no
//! clock, no framework types.
//!
//! - [`ingest`]: header-first limits (security.md §4, S-22), decode, EXIF orientation, a
//!   sanitised master with no metadata (S-24), and its SHA-256 for content addressing.
//! - [`Variant::for_handset`] and [`make_variant`]: the width class, format and byte cap a
//!   handset can take (keitai.md §7–§8, performance.md P2), rendered from the master.
//! - [`thumbnail`]: the same pipeline from an upload, for the operator CLI and benchmarks.
//!
//! ```
//! use ashiato_image::{Limits, Variant, VariantFormat, WidthClass, ingest, make_variant, sniff};
//! # fn png_bytes() -> Vec<u8> {
//! #     let mut out = Vec::new();
//! #     let mut e = png::Encoder::new(&mut out, 640, 480);
//! #     e.set_color(png::ColorType::Rgb);
//! #     let mut w = e.write_header().unwrap();
//! #     w.write_image_data(&vec![128u8; 640 * 480 * 3]).unwrap();
//! #     w.finish().unwrap();
//! #     out
//! # }
//! let upload: Vec<u8> = png_bytes();
//! let master = ingest(&upload, &Limits::default())?;
//! assert_eq!((master.width, master.height), (640, 480));
//! let v = Variant::new(WidthClass::W240, VariantFormat::Jpeg);
//! assert_eq!(v.to_string(), "240j");
//! let bytes = make_variant(&master.bytes, &v)?;
//! let h = sniff(&bytes)?;
//! assert_eq!((h.width, h.height), (240, 180));
//! assert!(bytes.len() <= 15 * 1024);
//! # Ok::<(), ashiato_image::ImageError>(())
//! ```

mod crc;
mod decode;
mod encode;
mod error;
mod exif;
mod header;
mod limits;
mod pipeline;
mod raster;
mod variant;

pub use error::ImageError;
pub use header::{Format, Header, sniff};
pub use limits::Limits;
pub use pipeline::{
    MASTER_JPEG_QUALITY, Master, THUMBNAIL_JPEG_QUALITY, ingest, make_variant, thumbnail,
};
pub use variant::{ParseVariantError, Variant, VariantFormat, WidthClass};
