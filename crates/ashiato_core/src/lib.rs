//! ashiato domain.
