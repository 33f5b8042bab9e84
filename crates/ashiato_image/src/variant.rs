//! Variant keys: width class + format + byte cap (+ palette size), chosen per handset.
//!
//! Sources: keitai.md §7 (page limits), §8 (formats and widths per carrier); performance.md P2
//! (240 px ≤ 15 KB at JPEG q≈70, 480 px ≤ 40 KB, nothing wider than the screen class).

use std::fmt;
use std::str::FromStr;

use ashiato_handset::{Carrier, Generation, Handset, ImageFormat};

use crate::{Format, Header};

/// One kibibyte; byte caps are whole KiB.
const KIB: u32 = 1024;

/// Width classes. Keitai get the largest class no wider than their browser area (and at most
/// 240); smartphones 480; tablets, PCs and unknown clients the PC size (800).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WidthClass {
    /// 96 px: docomo 501i/502i (keitai.md §8).
    W96,
    /// 120 px: mova 503i/504i (120–132), old au and J-PHONE.
    W120,
    /// 176 px: early FOMA, small SoftBank 3GC.
    W176,
    /// 230 px: D/F FOMA up to the 903 series.
    W230,
    /// 240 px: most 2005–2010 handsets.
    W240,
    /// 480 px: smartphones.
    W480,
    /// 800 px: PCs and tablets (key `pc`).
    Pc,
}

impl WidthClass {
    /// All classes, narrowest first.
    pub const ALL: [Self; 7] =
        [Self::W96, Self::W120, Self::W176, Self::W230, Self::W240, Self::W480, Self::Pc];

    /// The maximum width in pixels.
    #[must_use]
    pub fn width(self) -> u32 {
        match self {
            Self::W96 => 96,
            Self::W120 => 120,
            Self::W176 => 176,
            Self::W230 => 230,
            Self::W240 => 240,
            Self::W480 => 480,
            Self::Pc => 800,
        }
    }

    /// The maximum height: 4/3 of the width (a 3:4 portrait photo fills 240×320, as OpenPNE's
    /// keitai "large image" box; performance.md §3).
    #[must_use]
    pub fn max_height(self) -> u32 {
        self.width() * 4 / 3
    }

    /// The class byte cap before any page-budget reduction: P2 for 240 (15 KiB) and 480
    /// (40 KiB); the others scale roughly with area, with a floor for headers.
    #[must_use]
    pub fn default_max_bytes(self) -> u32 {
        KIB * match self {
            Self::W96 => 4,
            Self::W120 => 6,
            Self::W176 => 10,
            Self::W230 => 14,
            Self::W240 => 15,
            Self::W480 => 40,
            Self::Pc => 100,
        }
    }

    /// JPEG quality to try first (then lowered until the cap is met): P2's q≈70 for keitai.
    #[must_use]
    pub fn jpeg_quality(self) -> u8 {
        match self {
            Self::W480 => 75,
            Self::Pc => 80,
            _ => 70,
        }
    }

    fn from_width(w: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.width() == w)
    }
}

/// The format of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VariantFormat {
    /// Baseline JPEG (key letter `j`).
    Jpeg,
    /// GIF, first frame only (key letter `g`).
    Gif,
    /// PNG, palette (PNG-8) first (key letter `p`).
    Png,
    /// Follow the master (key letter `a`; smartphones and PCs, which show all three): JPEG for
    /// a JPEG master or an opaque PNG master, PNG for a master with transparency, animated GIF
    /// for an animated master.
    Auto,
}

impl VariantFormat {
    fn letter(self) -> char {
        match self {
            Self::Jpeg => 'j',
            Self::Gif => 'g',
            Self::Png => 'p',
            Self::Auto => 'a',
        }
    }

    fn from_letter(c: char) -> Option<Self> {
        match c {
            'j' => Some(Self::Jpeg),
            'g' => Some(Self::Gif),
            'p' => Some(Self::Png),
            'a' => Some(Self::Auto),
            _ => None,
        }
    }
}

/// A variant key. Its [`Display`](fmt::Display) form is stable and URL/file-name safe:
/// `{width}{j|g|p|a}`, `pc` for the 800 px auto variant, then `-{N}k` when the byte cap is not
/// the class default and `-{N}c` when a GIF/PNG palette is limited below 256 colours, e.g.
/// `240j`, `120g`, `96g-2k-4c`, `480a`, `pc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variant {
    /// Width class (maximum width; height at most 4/3 of it).
    pub class: WidthClass,
    /// Output format.
    pub format: VariantFormat,
    /// Byte cap, a whole number of KiB.
    pub max_bytes: u32,
    /// Palette size for GIF/PNG-8 output (2–256).
    pub colors: u16,
}

impl Variant {
    /// The class defaults: class byte cap, 256 colours.
    #[must_use]
    pub fn new(class: WidthClass, format: VariantFormat) -> Self {
        Self { class, format, max_bytes: class.default_max_bytes(), colors: 256 }
    }

    /// The variant for an inline image on this handset's pages.
    ///
    /// - Keitai (and crawlers imitating one): the largest class ≤ min(browser width, 240)
    ///   (240 when the width is unknown; 96 below 96). Bytes are the user's money, so VGA
    ///   handsets get 240 too. Format: JPEG if shown, else GIF, else PNG — never PNG to
    ///   docomo, never GIF to au WAP 1.0 or J-PHONE C/P/W, whatever the profile says.
    ///   Byte cap: the class cap, lowered to half the page budget (whole KiB, at least 2 KiB)
    ///   except on au, whose budget counts markup only (keitai.md §7).
    ///   Palette: the handset's colour count when it is below 256 (e.g. 4-grey N502i).
    /// - Smartphones: 480, auto format; tablets, PCs, unknown clients and other crawlers: PC.
    #[must_use]
    pub fn for_handset(h: &Handset) -> Self {
        let keitai = h.carrier.is_keitai()
            || (h.carrier == Carrier::Crawler && h.imitates.is_some_and(Carrier::is_keitai));
        if !keitai {
            let class = match h.generation {
                Generation::Smartphone => WidthClass::W480,
                _ => WidthClass::Pc,
            };
            return Self::new(class, VariantFormat::Auto);
        }
        let screen = h.screen.map_or(240, |s| s.width).min(240);
        let class = WidthClass::ALL
            .into_iter()
            .rev()
            .find(|c| c.width() <= screen)
            .unwrap_or(WidthClass::W96);
        let docomo = h.carrier == Carrier::Docomo || h.imitates == Some(Carrier::Docomo);
        let no_gif = matches!(
            h.generation,
            Generation::Wap1 | Generation::C | Generation::P | Generation::W
        );
        let shows = |f: ImageFormat| {
            h.image_formats.contains(f)
                && !(docomo && f == ImageFormat::Png)
                && !(no_gif && f == ImageFormat::Gif)
        };
        let format = if shows(ImageFormat::Jpeg) {
            VariantFormat::Jpeg
        } else if shows(ImageFormat::Gif) {
            VariantFormat::Gif
        } else if shows(ImageFormat::Png) {
            VariantFormat::Png
        } else if docomo {
            // Every docomo handset shows GIF (keitai.md §8).
            VariantFormat::Gif
        } else {
            VariantFormat::Jpeg
        };
        let mut v = Self::new(class, format);
        // au's budget counts markup only ("images excluded", keitai.md §7); elsewhere the
        // image shares the page budget, so it gets at most half of it.
        let au = h.carrier == Carrier::Au || h.imitates == Some(Carrier::Au);
        if !au {
            let budget_cap = (h.page_budget_bytes / 2 / KIB * KIB).max(2 * KIB);
            v.max_bytes = v.max_bytes.min(budget_cap);
        }
        if (2..256).contains(&h.colors) && matches!(format, VariantFormat::Gif | VariantFormat::Png)
        {
            v.colors = h.colors as u16;
        }
        v
    }

    /// The largest output size: class width × 4/3 of it.
    #[must_use]
    pub fn box_size(&self) -> (u32, u32) {
        (self.class.width(), self.class.max_height())
    }

    /// Whether an animated master stays animated: only for auto-format variants (smartphones
    /// and PCs). Keitai get the first frame (assumed: no animation on keitai).
    #[must_use]
    pub fn animates(&self) -> bool {
        self.format == VariantFormat::Auto
    }

    /// The format [`crate::make_variant`] will produce from a master with this header.
    #[must_use]
    pub fn output_format(&self, master: &Header) -> Format {
        match self.format {
            VariantFormat::Jpeg => Format::Jpeg,
            VariantFormat::Gif => Format::Gif,
            VariantFormat::Png => Format::Png,
            VariantFormat::Auto => match master.format {
                Format::Gif if master.is_animated() => Format::Gif,
                Format::Jpeg => Format::Jpeg,
                _ if master.alpha => Format::Png,
                _ => Format::Jpeg,
            },
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.class == WidthClass::Pc && self.format == VariantFormat::Auto {
            f.write_str("pc")?;
        } else if self.class == WidthClass::Pc {
            write!(f, "pc{}", self.format.letter())?;
        } else {
            write!(f, "{}{}", self.class.width(), self.format.letter())?;
        }
        if self.max_bytes != self.class.default_max_bytes() {
            write!(f, "-{}k", self.max_bytes / KIB)?;
        }
        if self.colors < 256 && matches!(self.format, VariantFormat::Gif | VariantFormat::Png) {
            write!(f, "-{}c", self.colors)?;
        }
        Ok(())
    }
}

/// A string that is not a variant key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a variant key: {0:?}")]
pub struct ParseVariantError(String);

impl FromStr for Variant {
    type Err = ParseVariantError;

    /// Parses the [`Display`](fmt::Display) form; only canonical keys are accepted, so one
    /// variant has exactly one key (one cache file).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseVariantError(s.chars().take(32).collect());
        let mut parts = s.split('-');
        let head = parts.next().ok_or_else(bad)?;
        let (class, format) = if head == "pc" {
            (WidthClass::Pc, VariantFormat::Auto)
        } else if let Some(letter) = head.strip_prefix("pc") {
            let mut chars = letter.chars();
            let f = chars.next().and_then(VariantFormat::from_letter).ok_or_else(bad)?;
            if chars.next().is_some() {
                return Err(bad());
            }
            (WidthClass::Pc, f)
        } else {
            let split = head.len().checked_sub(1).ok_or_else(bad)?;
            let (num, letter) = head.split_at_checked(split).ok_or_else(bad)?;
            let width: u32 = num.parse().map_err(|_| bad())?;
            let class = WidthClass::from_width(width).filter(|c| *c != WidthClass::Pc);
            let f = letter.chars().next().and_then(VariantFormat::from_letter);
            (class.ok_or_else(bad)?, f.ok_or_else(bad)?)
        };
        let mut v = Self::new(class, format);
        for part in parts {
            if let Some(k) = part.strip_suffix('k') {
                let k: u32 = k.parse().map_err(|_| bad())?;
                v.max_bytes = k.checked_mul(KIB).filter(|&b| b > 0).ok_or_else(bad)?;
            } else if let Some(c) = part.strip_suffix('c') {
                v.colors = c.parse().ok().filter(|c| (2..256).contains(c)).ok_or_else(bad)?;
            } else {
                return Err(bad());
            }
        }
        if v.to_string() != s {
            return Err(bad());
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for key in ["240j", "120g", "96g-2k-4c", "480a", "pc", "pcj", "230j-4k", "120p-16c", "176j"]
        {
            let v: Variant = key.parse().expect(key);
            assert_eq!(v.to_string(), key);
        }
        for bad in [
            "",
            "pc-",
            "240",
            "241j",
            "240x",
            "240j-0k",
            "240j-4c",
            "240j-15k",
            "800a",
            "pcaa",
            "j",
            "240g-256c",
        ] {
            assert!(bad.parse::<Variant>().is_err(), "{bad}");
        }
    }

    #[test]
    fn p2_caps() {
        assert_eq!(WidthClass::W240.default_max_bytes(), 15 * 1024);
        assert_eq!(WidthClass::W480.default_max_bytes(), 40 * 1024);
    }
}
