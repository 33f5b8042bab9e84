//! Collection query options shared by the request types ([`crate::request`]) and the
//! in-memory helpers of the data model ([`crate::model`]): `fields`, `filterBy`/`filterOp`/
//! `filterValue`, `sortBy`/`sortOrder`, paging (`count`, `startIndex`) and `updatedSince`.
//!
//! This module sits below both and imports neither. [`crate::request`] re-exports every
//! item, so `ashiato_opensocial::request::CollectionOptions` and the like keep working.

use time::OffsetDateTime;

/// The `fields` parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Fields {
    /// No `fields` given: the default set ([`crate::model::PERSON_DEFAULT_FIELDS`] for
    /// people; everything for activities and messages).
    #[default]
    Default,
    /// `@all`.
    All,
    /// An explicit list (`appdata` or `appdata.key` entries ask for embedded AppData).
    List(Vec<String>),
}

impl Fields {
    /// Parses a comma list; `@all` anywhere means all.
    pub fn parse(s: &str) -> Fields {
        let list: Vec<String> =
            s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect();
        if list.iter().any(|f| f == "@all") {
            Fields::All
        } else if list.is_empty() {
            Fields::Default
        } else {
            Fields::List(list)
        }
    }

    /// From a list of strings (RPC arrays).
    pub fn from_list(list: &[String]) -> Fields {
        Fields::parse(&list.join(","))
    }

    /// AppData asked for through `fields`: `None` = not asked; `Some(None)` = all keys
    /// (`appdata`, or `@all`); `Some(Some(keys))` = those keys (`appdata.k1,appdata.k2`).
    pub fn appdata_keys(&self) -> Option<Option<Vec<String>>> {
        match self {
            Fields::Default => None,
            Fields::All => Some(None),
            Fields::List(list) => {
                if list.iter().any(|f| f.eq_ignore_ascii_case("appdata") || f == "appData") {
                    return Some(None);
                }
                let keys: Vec<String> = list
                    .iter()
                    .filter_map(|f| {
                        f.strip_prefix("appdata.").or_else(|| f.strip_prefix("appData."))
                    })
                    .map(str::to_owned)
                    .collect();
                (!keys.is_empty()).then_some(Some(keys))
            }
        }
    }
}

/// `filterOp`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FilterOp {
    /// `contains` (the default).
    #[default]
    Contains,
    /// `equals`.
    Equals,
    /// `startsWith`.
    StartsWith,
    /// `present`.
    Present,
}

impl FilterOp {
    /// Parses the spec names (case-insensitive).
    pub fn parse(s: &str) -> Option<FilterOp> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "contains" => FilterOp::Contains,
            "equals" => FilterOp::Equals,
            "startswith" => FilterOp::StartsWith,
            "present" => FilterOp::Present,
            _ => return None,
        })
    }
}

/// `filterBy`/`filterOp`/`filterValue`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Field name, or `@friends` (the friend test), or `hasApp`.
    pub by: String,
    /// Operation.
    pub op: FilterOp,
    /// Value (`@viewer`/`@owner`/`@me` are resolved by the helpers).
    pub value: Option<String>,
}

/// `sortOrder`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// `ascending` (the default).
    #[default]
    Ascending,
    /// `descending`.
    Descending,
}

/// `sortBy`/`sortOrder`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    /// Field name (`name` sorts by `name.formatted`).
    pub by: String,
    /// Order.
    pub order: SortOrder,
}

/// Largest page the helpers return whatever `count` says.
pub const MAX_COUNT: usize = 100;
/// Page size when `count` is absent (Shindig's default).
pub const DEFAULT_COUNT: usize = 20;

/// Paging, projection, filtering and sorting of a collection request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CollectionOptions {
    /// `count` as given (`itemsPerPage` is sent iff this is `Some`).
    pub count: Option<usize>,
    /// `startIndex`, 0-based.
    pub start_index: usize,
    /// `fields`.
    pub fields: Fields,
    /// `filterBy` & co.
    pub filter: Option<Filter>,
    /// `sortBy` & co.
    pub sort: Option<Sort>,
    /// `updatedSince`.
    pub updated_since: Option<OffsetDateTime>,
    /// `networkDistance` (accepted, may be ignored).
    pub network_distance: Option<u32>,
}

impl CollectionOptions {
    /// The page size in force: `count` capped at [`MAX_COUNT`], else [`DEFAULT_COUNT`].
    pub fn page_size(&self) -> usize {
        self.count.map_or(DEFAULT_COUNT, |c| c.min(MAX_COUNT))
    }
}

/// Parses an `updatedSince` value: RFC 3339 (`2008-06-06T12:12:12Z`), a date-time without
/// offset (taken as UTC), or a date (`2008-06-06`, midnight UTC).
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    if let Ok(t) = OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339) {
        return Some(t);
    }
    OffsetDateTime::parse(&format!("{s}T00:00:00Z"), &Rfc3339).ok()
}
